namespace DrTools.Core.Runbooks;

/// <summary>Killed: the process running it ended without finishing the journal (SIGKILL, a crash, a power cut).</summary>
public enum RunStatus { Running, Passed, Failed, Aborted, Cancelled, Killed }
