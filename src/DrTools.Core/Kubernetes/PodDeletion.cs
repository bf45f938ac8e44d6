using System.Globalization;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Which of a workload's pods a pod-deletion drill takes — all, a count, or a percentage (rounded up, at least one) — and
/// whether it evicts them (PodDisruptionBudgets respected, refusals counted) rather than deleting them.
/// </summary>
public sealed record PodDeletion(int? Count = null, double? Percent = null, bool Evict = false)
{
    public static PodDeletion All { get; } = new();

    /// <summary>Refuses, before anything is asked of the cluster, a count and a percentage together or out of range.</summary>
    public void Check()
    {
        if (Count is not null && Percent is not null) throw new DrToolsException("give a count or a percentage of pods, not both.",
            DrErrorKind.InvalidArgument);
        if (Count is < 1) throw new DrToolsException($"count {Count}: at least 1 pod.", DrErrorKind.InvalidArgument);
        if (Percent is { } percent && !(percent is > 0 and <= 100)) throw new DrToolsException(
            $"percent {percent.ToString(CultureInfo.InvariantCulture)}: more than 0 and at most 100.", DrErrorKind.InvalidArgument);
    }

    /// <summary>How many of <paramref name="pods"/> it takes.</summary>
    public int Of(int pods) => (Count, Percent) switch
    {
        ({ } count, _) => Math.Min(count, pods),
        (_, { } percent) => Math.Min(pods, Math.Max(1, (int)Math.Ceiling(pods * percent / 100))),
        _ => pods,
    };

    /// <summary>What the drill does, as -WhatIf and its refusals say it.</summary>
    public string Describe() => $"{(Evict ? "Evict" : "Delete")} " + (Count, Percent) switch
    {
        ({ } count, _) => $"{count} pod(s)",
        (_, { } percent) => $"{percent.ToString(CultureInfo.InvariantCulture)}% of the pods",
        _ => "every pod",
    };

    /// <summary>The drill's name in its refusals: "pod deletion" or "pod eviction".</summary>
    public string Drill => Evict ? "pod eviction" : "pod deletion";
}
