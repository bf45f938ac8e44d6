namespace DrTools.Core.Sandboxes;

/// <summary>NotASandbox: a folder DrTools cannot prove it made; it is listed so the user sees it, and never touched.</summary>
public enum SandboxState { Running, Degraded, Stopped, Orphaned, NotASandbox }
