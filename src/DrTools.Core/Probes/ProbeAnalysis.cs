using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Probes;

/// <summary>
/// An outage as a client saw it: the longest silence between two consecutive acknowledgements from the last one before
/// the fault onwards (or after the last one, when the attempts after it all failed), and the attempts that failed in
/// it. LastBefore is null when nothing was acknowledged before the fault; FirstAfter is null when nothing was
/// acknowledged after the silence began.
/// </summary>
public sealed record Outage(TimeSpan Fault, ProbeSample? LastBefore, ProbeSample? FirstAfter, int FailedAttempts)
{
    public TimeSpan? Duration => FirstAfter?.Acknowledged - (LastBefore?.Acknowledged ?? Fault);

    /// <summary>
    /// The figure: the duration, or when nothing was acknowledged after the silence began, from its start to the last
    /// attempt of <paramref name="samples"/> (a lower bound: the outage lasted at least until the probe stopped).
    /// </summary>
    public TimeSpan Measured(IReadOnlyList<ProbeSample> samples) =>
        Duration ?? (samples.Count == 0 ? Fault : samples.Max(s => s.Sent)) - (LastBefore?.Acknowledged ?? Fault);
}

/// <summary>Acknowledged writes the new primary does not have: exact, by sequence number.</summary>
public sealed record WriteLoss(int Acknowledged, IReadOnlyList<long> LostSequences, TimeSpan Window, int UnacknowledgedButCommitted);

/// <summary>
/// The member a settled drill ended with as the primary, as the probes name the server that answered, and since when on
/// the drill's clock it was one (seen saying so, or asked to promote).
/// </summary>
public sealed record FinalPrimary(string Server, TimeSpan Since)
{
    /// <summary>An acknowledgement by another member once this one was primary: two members took writes.</summary>
    public bool SplitBrain(ProbeSample sample) => sample.Succeeded && sample.Acknowledged >= Since
        && !(sample.Host is { } host && Cluster.ClusterInspector.SameEndpoint(host, Server));
}

/// <summary>Acknowledged writes of another member than the final primary once it was one, the lost among them, and their span.</summary>
public sealed record SplitBrainWrites(int Count, int Lost, IReadOnlyList<string> Members, TimeSpan? From, TimeSpan? To);

public static class ProbeAnalysis
{
    /// <summary>
    /// p50, p95 and p99 of the answered attempts' latency (sent to acknowledged, on the drill's monotonic clock), nearest
    /// rank: a database (or service) that is up but slow is a finding an outage figure does not show.
    /// </summary>
    public static IReadOnlyList<Measurement> Latency(string what, IReadOnlyList<ProbeSample> samples, double? p99TargetMs = null)
    {
        var latencies = samples.Where(s => s.Succeeded).Select(s => (s.Acknowledged!.Value - s.Sent).TotalMilliseconds).Order().ToList();
        if (latencies.Count == 0) return [];
        double Rank(double p) => latencies[Math.Max(0, (int)Math.Ceiling(p / 100 * latencies.Count) - 1)];
        var method = $"{latencies.Count} answered attempt(s), sent to acknowledged on the drill's monotonic clock, nearest rank";
        return
        [
            new Measurement($"{what} latency p50", Math.Round(Rank(50), 3), "ms", null, method),
            new Measurement($"{what} latency p95", Math.Round(Rank(95), 3), "ms", null, method),
            new Measurement($"{what} latency p99", Math.Round(Rank(99), 3), "ms", p99TargetMs, method),
        ];
    }

    /// <summary>
    /// The longest gap between consecutive acknowledgements, counted from the last acknowledgement before the fault.
    /// Not simply "fault to first success after it": a server being stopped or killed can still acknowledge a write or
    /// two in its last milliseconds, and the outage a client lives through starts after those.
    /// </summary>
    /// <param name="final">
    /// When the drill observed until the topology settled: the final primary. A write another member acknowledged once
    /// the final primary was one is then a split-brain write (<see cref="SplitBrainWrites"/>), not availability: the
    /// outage ends at the first write the final primary acknowledged.
    /// </param>
    public static Outage Outage(IReadOnlyList<ProbeSample> samples, TimeSpan fault, FinalPrimary? final = null)
    {
        // An attempt the probe's own stop cut short says nothing of the cluster: not an acknowledgement, not a failure.
        samples = samples.Where(s => !s.Stopped && final?.SplitBrain(s) != true).ToList();
        var acknowledged = samples.Where(s => s.Succeeded).OrderBy(s => s.Acknowledged).ToList();
        var start = acknowledged.FindLastIndex(s => s.Sent < fault);
        ProbeSample? before = start >= 0 ? acknowledged[start] : null;
        ProbeSample? after = start + 1 < acknowledged.Count ? acknowledged[start + 1] : null;
        for (var i = Math.Max(start, 0); i + 1 < acknowledged.Count; i++)
        {
            if (acknowledged[i + 1].Acknowledged - acknowledged[i].Acknowledged > after!.Acknowledged - (before?.Acknowledged ?? fault))
            {
                (before, after) = (acknowledged[i], acknowledged[i + 1]);
            }
        }
        // Silence from the last acknowledgement to the last attempt: writes that never came back are the longest outage of all.
        var last = acknowledged.LastOrDefault();
        var lastAttempt = samples.Count == 0 ? fault : samples.Max(s => s.Sent);
        if (last is not null && after is not null && lastAttempt - last.Acknowledged > after.Acknowledged - (before?.Acknowledged ?? fault))
        {
            (before, after) = (last, null);
        }
        var from = before?.Acknowledged ?? fault;
        var failed = samples.Count(s => !s.Succeeded && s.Sent >= from && (after is null || s.Sent < after.Acknowledged));
        return new Outage(fault, before, after, failed);
    }

    /// <summary>
    /// Writes acknowledged by another member than the final primary once it was one, how many of them it lacks
    /// (<paramref name="lost"/>: the run's lost sequences), and from the first one's sending to the last one's acknowledgement.
    /// </summary>
    public static SplitBrainWrites SplitBrainWrites(IReadOnlyList<ProbeSample> samples, FinalPrimary final, IReadOnlyCollection<long> lost)
    {
        var elsewhere = samples.Where(final.SplitBrain).ToList();
        var lostSet = lost.ToHashSet();
        return elsewhere.Count == 0
            ? new SplitBrainWrites(0, 0, [], null, null)
            : new SplitBrainWrites(elsewhere.Count, elsewhere.Count(s => lostSet.Contains(s.Sequence)),
                elsewhere.Select(s => s.Host!).Distinct().Order().ToList(),
                elsewhere.Min(s => s.Sent), elsewhere.Max(s => s.Acknowledged!.Value));
    }

    /// <summary>The run's sequences in the probe table of <paramref name="member"/>, as many times as it holds each.</summary>
    public static async Task<IReadOnlyCollection<long>> ProbeSequencesAsync(DbMember member, Guid runId,
        CancellationToken cancellationToken)
    {
        var present = new List<long>();
        await using var connection = await member.OpenAsync(cancellationToken);
        await using var query = new NpgsqlCommand($"select seq from {Probe.Table} where run_id = @run", connection);
        query.Parameters.AddWithValue("run", runId);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) present.Add(reader.GetInt64(0));
        return present;
    }

    /// <summary>The acknowledged writes missing from <paramref name="present"/>, the sequences a store has of the run.</summary>
    public static WriteLoss LostWrites(IReadOnlySet<long> present, IReadOnlyList<ProbeSample> samples)
    {
        var acknowledged = samples.Where(s => s.Succeeded).ToList();
        var lost = acknowledged.Where(s => !present.Contains(s.Sequence)).OrderBy(s => s.Sequence).ToList();
        var unacknowledgedButCommitted = samples.Count(s => !s.Succeeded && present.Contains(s.Sequence));
        var window = TimeSpan.Zero;
        if (lost.Count > 0)
        {
            var safePoint = acknowledged.Where(s => s.Sequence < lost[0].Sequence && present.Contains(s.Sequence)).Select(s => s.Acknowledged!.Value).DefaultIfEmpty(lost[0].Sent).Max();
            window = lost.Max(s => s.Acknowledged!.Value) - safePoint;
        }
        return new WriteLoss(acknowledged.Count, lost.Select(s => s.Sequence).ToList(), window, unacknowledgedButCommitted);
    }
}
