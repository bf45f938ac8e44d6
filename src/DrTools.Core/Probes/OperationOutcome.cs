namespace DrTools.Core.Probes;

/// <summary>How an operation ended: acknowledged, certainly not done, or maybe done (Jepsen's ok, fail and info).</summary>
public enum OperationOutcome { Ok, Fail, Indeterminate }
