using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Probes;

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
    /// The write-unavailability window (<see cref="Probes.Outage"/>) over every client's gaps between consecutive
    /// acknowledgements, counted from each one's last acknowledgement before the fault. Not simply "fault to first success
    /// after it": a server being stopped or killed can still acknowledge a write or two in its last milliseconds, and the
    /// outage a client lives through starts after those. Each edge is the acknowledgement of any client nearest to the
    /// failures (<see cref="Narrowed"/>): with one client and one run of failures, the window is that client's longest gap.
    /// </summary>
    /// <param name="final">
    /// When the drill observed until the topology settled: the final primary. A write another member acknowledged once
    /// the final primary was one is then a split-brain write (<see cref="SplitBrainWrites"/>), not availability: a failed
    /// attempt of its client, so each client's outage ends at the first write the final primary acknowledged.
    /// </param>
    public static Outage Outage(IReadOnlyList<ProbeSample> samples, TimeSpan fault, FinalPrimary? final = null)
    {
        // An attempt the probe's own stop cut short says nothing of the cluster: not an acknowledgement, not a failure. A
        // split-brain write is a failure its client saw late (at its acknowledgement): left out, a client writing to the old
        // primary for 11 s had no failure at all, and the window was another client's 0.05 s reconnection.
        // By sequence number: one counter numbers every client's attempts.
        var elsewhere = final is null ? [] : samples.Where(s => !s.Stopped && final.SplitBrain(s)).Select(s => s.Sequence).ToHashSet();
        samples = samples.Where(s => !s.Stopped).Select(s => elsewhere.Contains(s.Sequence) ? SplitBrainFailure(s, final!) : s).ToList();
        if (samples.Count == 0) return new Outage(fault, null, null, 0);
        var acknowledged = samples.Where(s => s.Succeeded).OrderBy(s => s.Acknowledged).ToList();
        var gaps = samples.GroupBy(s => s.Client).Select(client => Gaps(client.ToList(), fault)).ToList();
        var spans = gaps.SelectMany(client => client.Select(gap => Narrowed(gap, acknowledged, fault))).ToList();
        // The longest span, the first of equal ones: with one client, the figure it always had.
        var longest = spans.MaxBy(g => g.Length)!;
        var failing = spans.Where(g => g.Failed.Count > 0).ToList();
        var (first, last) = failing.Count == 0
            ? (longest, longest)
            : (failing.MinBy(g => g.Start)!, failing.FirstOrDefault(g => g.To is null) ?? failing.MaxBy(g => g.End)!);
        // A write that hung and then went through during the failures: the window covers it too. One that hung apart from
        // them (a stall during the rejoin, every client's writes acknowledged in between) is the longest gap beside the
        // window, never joined to it: that joined a 0.36 s failover and a later 0.5 s stall into one 3.6 s window.
        var overlaps = last.To is null || longest.Start <= last.End && first.Start <= longest.End;
        if (overlaps && longest.Length > (last.To is null ? TimeSpan.MaxValue : last.End - first.Start))
        {
            if (longest.Start < first.Start) first = longest;
            if (longest.To is null || longest.End > last.End) last = longest;
        }
        // A stretch in which no client had a write acknowledged is unavailability though nothing failed: every client waiting
        // on a stalled commit (a lock, a synchronous standby gone) fails nothing, and an application writes nothing. The
        // longer of the failures' window and that stretch is the figure; the two are never joined.
        TimeSpan? stallOver = null;
        Silence? within = null;
        if (last.To is not null && LongestSilence(samples, acknowledged, fault) is { } silence)
        {
            if (silence.Length > last.End - first.Start)
            {
                stallOver = failing.Count == 0 ? TimeSpan.Zero : last.End - first.Start;
                (first, last) = (silence, silence);
            }
            else if (silence.Start >= first.Start && silence.End <= last.End)
            {
                within = new Silence(silence.Start, silence.End, silence.Failed.Count);
            }
        }
        var from = first.From?.Acknowledged ?? fault;
        var inside = samples.Where(s => s.Sent >= from && (last.To is null || s.Sent < last.To.Acknowledged)).ToList();
        var failed = inside.Where(s => !s.Succeeded).ToList();
        return new Outage(fault, first.From, last.To, failed.Count)
        {
            Attempts = inside.Count, LongestGap = gaps.SelectMany(client => client).Max(g => g.Length),
            FailedClients = failed.Select(s => s.Client).Distinct().Order().ToList(), StallOver = stallOver,
            Silence = within, SplitBrainAttempts = failed.Count(s => elsewhere.Contains(s.Sequence)),
        };
    }

    /// <summary>
    /// The longest stretch after the fault between two acknowledgements of any client (the first from the last one before
    /// the fault), with the failed attempts sent in it; null when nothing was acknowledged after the fault.
    /// </summary>
    private static Gap? LongestSilence(IReadOnlyList<ProbeSample> samples, IReadOnlyList<ProbeSample> acknowledged, TimeSpan fault)
    {
        var after = acknowledged.SkipWhile(s => s.Acknowledged < fault).ToList();
        var before = acknowledged.LastOrDefault(s => s.Acknowledged < fault);
        if (after.Count == 0) return null;
        var silences = after.Zip(after.Skip(1), (a, b) => (From: (ProbeSample?)a, To: b)).Prepend((From: before, To: after[0]));
        // The failed attempts only of the longest: gathered for each, they made this quadratic in a drill's attempts.
        var (from, to) = silences.MaxBy(s => s.To.Acknowledged!.Value - (s.From?.Acknowledged ?? fault));
        var (start, end) = (from?.Acknowledged ?? fault, to.Acknowledged!.Value);
        return new Gap(from, to, start, end, samples.Where(f => !f.Succeeded && f.Sent >= start && f.Sent < end).ToList());
    }

    private static ProbeSample SplitBrainFailure(ProbeSample write, FinalPrimary final) => write with
    {
        Acknowledged = null,
        Ended = write.Acknowledged,
        Error = $"acknowledged by {write.Host}, not by the final primary {final.Server}: split brain",
    };

    /// <summary>
    /// A gap between two consecutive acknowledgements of one client (To null: after its last one, to its last attempt),
    /// with the client's failed attempts sent in it.
    /// </summary>
    private sealed record Gap(ProbeSample? From, ProbeSample? To, TimeSpan Start, TimeSpan End, IReadOnlyList<ProbeSample> Failed)
    {
        public TimeSpan Length => End - Start;
    }

    /// <summary>One client's gaps in order, from its last acknowledgement before the fault (or the fault) to its last attempt.</summary>
    private static List<Gap> Gaps(IReadOnlyList<ProbeSample> client, TimeSpan fault)
    {
        var acknowledged = client.Where(s => s.Succeeded).OrderBy(s => s.Acknowledged).ToList();
        var start = acknowledged.FindLastIndex(s => s.Sent < fault);
        var lastAttempt = client.Max(s => s.Sent);
        Gap Between(ProbeSample? from, ProbeSample? to)
        {
            var begins = from?.Acknowledged ?? fault;
            var ends = to?.Acknowledged ?? lastAttempt;
            return new Gap(from, to, begins, ends,
                client.Where(s => !s.Succeeded && s.Sent >= begins && (to is null || s.Sent < ends)).ToList());
        }
        var gaps = new List<Gap>();
        var previous = start >= 0 ? acknowledged[start] : null;
        foreach (var next in acknowledged.Skip(start + 1))
        {
            gaps.Add(Between(previous, next));
            previous = next;
        }
        // Silence from the last acknowledgement to the last attempt: writes that never came back are the longest outage of all.
        gaps.Add(Between(previous, null));
        return gaps;
    }

    /// <summary>
    /// One client's gap narrowed by every client's acknowledgements (<paramref name="acknowledged"/>, in order): from the
    /// last one before the first attempt it waited on (its first failure, else the write that ended the gap late) to the
    /// first one after its last failure was seen. The clients' attempts are staggered, so together they place an outage
    /// that all of them saw within 1/(rate x clients); one client's own acknowledgements, within 1/rate. A failure one
    /// client alone saw is placed within one client's interval either way. No outage begins before the fault was issued:
    /// an attempt sent just before it and failed by it (a new connection the kill cut) leaves the acknowledgements up to
    /// the fault standing (they placed one window's start 71 ms before the fault).
    /// </summary>
    private static Gap Narrowed(Gap gap, IReadOnlyList<ProbeSample> acknowledged, TimeSpan fault)
    {
        var waited = gap.Failed.Count > 0 ? gap.Failed.MinBy(s => s.Sent) : gap.To;
        if (waited is null) return gap;
        var ended = waited.Ended ?? waited.Acknowledged ?? fault;
        var upTo = waited.Sent >= fault ? waited.Sent : ended < fault ? ended : fault;
        var from = acknowledged.LastOrDefault(s => s.Acknowledged >= gap.Start && s.Acknowledged <= upTo) ?? gap.From;
        var to = gap.To;
        if (gap.Failed.Count > 0 && to is not null)
        {
            var seen = gap.Failed.Max(s => s.Ended ?? s.Sent);
            to = acknowledged.FirstOrDefault(s => s.Acknowledged >= seen && s.Acknowledged <= gap.End) ?? to;
        }
        return gap with { From = from, To = to, Start = from?.Acknowledged ?? gap.Start, End = to?.Acknowledged ?? gap.End };
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
            // By acknowledgement time, not sequence: clients of one probe write at once, so a surviving write numbered
            // before the first lost one can be acknowledged after it.
            var firstLost = lost.MinBy(s => s.Acknowledged)!;
            var safePoint = acknowledged.Where(s => s.Acknowledged <= firstLost.Acknowledged && present.Contains(s.Sequence))
                .Select(s => s.Acknowledged!.Value).DefaultIfEmpty(firstLost.Sent).Max();
            window = lost.Max(s => s.Acknowledged!.Value) - safePoint;
        }
        return new WriteLoss(acknowledged.Count, lost.Select(s => s.Sequence).ToList(), window, unacknowledgedButCommitted);
    }
}
