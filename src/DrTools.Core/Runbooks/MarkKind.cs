namespace DrTools.Core.Runbooks;

public enum MarkKind
{
    Event,
    Fault,
    Outage,
    Recovery,
    /// <summary>A window in which an injected fault (a partition, a freeze …) was in effect.</summary>
    FaultActive,
}
