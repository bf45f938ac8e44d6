namespace DrTools.Core.Sandboxes;

/// <summary>What a folder under the sandbox or runs folder is: a cluster, a restored instance, a runbook run's scratch folder, or none of
/// DrTools'.</summary>
public enum SandboxKind { Cluster, RestoredInstance, RunScratch, Unknown }
