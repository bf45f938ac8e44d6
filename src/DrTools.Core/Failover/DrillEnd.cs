using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>What every drill has at its end, whoever recovered: its plan, clock, probes, fault moment and the primaries.</summary>
internal sealed record DrillEnd(FailoverPlan Plan, Guid RunId, MonotonicClock Clock, Timeline Timeline, Probe Writes, Probe Reads,
    TimeSpan Fault,
    DbMember OldPrimary, DbMember NewPrimary, DbChecksum? Before, FailoverOptions Options, string Start)
{
    /// <summary>The final primary, when the drill observed until the topology settled.</summary>
    public FinalPrimary? Final { get; init; }
}
