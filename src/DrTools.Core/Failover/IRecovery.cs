namespace DrTools.Core.Failover;

/// <summary>Who recovers the cluster in a failover drill, and so how the drill is planned and run.</summary>
public interface IRecovery
{
    RecoveredBy RecoveredBy { get; }
    /// <summary>What the drill will do, read from the cluster without changing it: the basis of -WhatIf and ShouldProcess.</summary>
    Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken);
    Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken);
}
