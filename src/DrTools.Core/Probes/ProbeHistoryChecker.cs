namespace DrTools.Core.Probes;

/// <summary>
/// The one checker of a drill's probe history: a drill runs it over its in-memory history for the figures it reports,
/// and <c>drtools history check</c> over the history.jsonl it wrote, so both are the same computation.
/// </summary>
public static class ProbeHistoryChecker
{
    public const string WriteUnavailability = "write unavailability (RTO)", ReadReconnection = "read reconnection",
        LostWrites = "lost acknowledged writes", DataLossWindow = "data loss window (RPO)",
        SplitBrainWrites = "writes acknowledged by another member than the final primary (split brain)", StaleReads = "stale reads",
        WriteLongestGap = "write longest gap", WriteErrorRate = "write error rate in the window";

    /// <summary>How an unavailability window is measured, the same for every drill and for the checker.</summary>
    /// <param name="start">What it is counted from: "the fault", "the stop request".</param>
    public static string WindowMethod(string start, ProbeKind kind)
    {
        var answer = kind == ProbeKind.Write ? "acknowledgement" : "answered read";
        return $"the window from the last {answer} of any client before the first failed attempt of any client after {start} "
            + $"to the first {answer} of any client once the last failure was seen (failures: in a gap between one client's "
            + $"consecutive {answer}s; when no attempt failed, the longest wait; an attempt that hung during the failures and then went "
            + "through, if longer, that too; a wait apart from the failures is not joined to them)";
    }

    /// <summary>
    /// Whether a drill's verdict takes the objective held to this figure, as <c>FailoverResult.Met</c> does: the
    /// write-unavailability window (RTO), the data loss window (RPO) and, with an RPO of 0, the lost writes, split-brain
    /// writes and stale reads. Read reconnection is held to the RTO beside the window, for information.
    /// </summary>
    public static bool Decides(string figure) =>
        figure is WriteUnavailability or DataLossWindow or LostWrites or SplitBrainWrites or StaleReads;

    /// <summary>
    /// Checks each drill of a history (a run with several drills holds each one's lines); a drill that ended with an error
    /// before its final read is not decided, the others are checked all the same.
    /// </summary>
    public static HistoryChecks CheckAll(IReadOnlyList<HistoryOperation> history)
    {
        var drills = history.GroupBy(o => o.Drill).Select(d => d.ToList()).ToList();
        var undecided = drills.Where(d => d.Any(o => o.F == HistoryOperation.DrillError)).ToList();
        return new HistoryChecks(drills.Except(undecided).Select(Check).ToList(), undecided.Select(d => new UndecidedDrill(d[0].Drill,
            d.First(o => o.F == HistoryOperation.DrillError).Error ?? "(no error text)", d.Count(o => o.F == HistoryOperation.Write),
            d.Count(o => o.F == HistoryOperation.Read))).ToList());
    }

    /// <summary>Checks one drill's operations: it needs its fault line and its final read.</summary>
    public static ProbeHistoryCheck Check(IReadOnlyList<HistoryOperation> history)
    {
        var drill = history[0].Drill;
        var fault = Single(history, HistoryOperation.Fault, drill);
        var final = Single(history, HistoryOperation.FinalRead, drill);
        var writes = history.Where(o => o.F == HistoryOperation.Write).Select(Sample).ToList();
        var reads = history.Where(o => o.F == HistoryOperation.Read).Select(Sample).ToList();
        var primary = final.Since is { } since ? new FinalPrimary(final.Node!, since) : null;
        var present = final.Sequences!.ToHashSet();

        var writeOutage = ProbeAnalysis.Outage(writes, fault.Invoke, primary);
        var readOutage = ProbeAnalysis.Outage(reads, fault.Invoke);
        var loss = ProbeAnalysis.LostWrites(present, writes);
        var splitBrain = primary is null ? null : ProbeAnalysis.SplitBrainWrites(writes, primary, loss.LostSequences);
        var acknowledged = writes.Where(w => w.Succeeded).ToList();
        var observed = history.Where(o => o.F == HistoryOperation.Read && o.Type == OperationOutcome.Ok && o.Sequences is not null)
            .ToList();
        var stale = observed.Select(r => Stale(r, acknowledged)).OfType<StaleRead>().ToList();
        var seen = observed.SelectMany(r => r.Sequences!).ToHashSet();
        var indeterminate = writes.Where(w => w.Indeterminate).Select(w => w.Sequence).Order().ToList();

        var figures = new List<Measurement>
        {
            // No write acknowledged after the last failure: the outage lasted longer than probing saw (never met).
            new(WriteUnavailability, writeOutage.Measured(writes).TotalSeconds, "s", null,
                WindowMethod("the fault", ProbeKind.Write)) { MoreThan = writeOutage.Duration is null },
        };
        // Beside the window, from a history that records the probe's clients: one written before clients is one
        // connection's, and its journal has no such figures.
        if (history.Any(o => o.F == HistoryOperation.Write && o.Client is not null))
        {
            figures.Add(new(WriteLongestGap, writeOutage.LongestGap.TotalSeconds, "s", null,
                "the longest gap between one client's consecutive acknowledgements from its last one before the fault"));
            figures.Add(new(WriteErrorRate, Math.Round(writeOutage.ErrorRate, 3), "%", null,
                "failed or indeterminate attempts of all sent in the write-unavailability window, every client's"));
        }
        figures.AddRange(
        [
            new(ReadReconnection, readOutage.Measured(reads).TotalSeconds, "s", null,
                WindowMethod("the fault", ProbeKind.Read)) { MoreThan = readOutage.Duration is null },
            new(LostWrites, loss.LostSequences.Count, "writes", null, "acknowledged sequences absent from the final read"),
            new(DataLossWindow, loss.Window.TotalSeconds, "s", null,
                "from the last surviving acknowledgement before the first lost write to the last lost acknowledgement"),
        ]);
        if (splitBrain is not null)
        {
            figures.Add(new(SplitBrainWrites, splitBrain.Count, "writes", 0,
                "acknowledged by another member once the final primary was one"));
        }
        if (observed.Count > 0)
        {
            figures.Add(new(StaleReads, stale.Count, "reads", null, "reads begun after a write's acknowledgement that did not return it"));
        }
        return new ProbeHistoryCheck(drill, writeOutage, readOutage, loss, splitBrain, stale,
            acknowledged.Where(w => !seen.Contains(w.Sequence)).Select(w => w.Sequence).Order().ToList(),
            Duplicates(history), indeterminate, indeterminate.Where(present.Contains).ToList(),
            writes.Where(w => !w.Succeeded && !w.Indeterminate && present.Contains(w.Sequence)).Select(w => w.Sequence).Order().ToList(),
            final.Node!, figures, [.. ProbeAnalysis.Latency("write", writes), .. ProbeAnalysis.Latency("read", reads)]);
    }

    private static HistoryOperation Single(IReadOnlyList<HistoryOperation> history, string f, string drill) =>
        history.Where(o => o.F == f).ToList() is [var one]
            ? one
            : throw new DrToolsException($"drill {drill}: the history needs exactly one {f} line, it has {history.Count(o => o.F == f)}.",
                DrErrorKind.InvalidArgument);

    /// <summary>An operation as the probe sample it was recorded from (a read's own sequence is not recorded: it is 0).</summary>
    private static ProbeSample Sample(HistoryOperation o) =>
        new(o.Sequence ?? 0, o.Invoke, o.Type == OperationOutcome.Ok ? o.Complete : null, o.Node, o.Error,
            o.Type == OperationOutcome.Indeterminate)
        {
            Stopped = o.Stopped, Ended = o.Type == OperationOutcome.Ok ? null : o.Complete, Client = o.Client ?? 0,
            Connection = o.Connection ?? 0,
            Observed = o.Sequences,
        };

    /// <summary>
    /// The acknowledged writes a read missed though it began after their acknowledgement and read that far back: a read
    /// returns the newest sequences up to its limit, so it covers every sequence from its oldest one up (all of them
    /// when it returned fewer than its limit).
    /// </summary>
    private static StaleRead? Stale(HistoryOperation read, IReadOnlyList<ProbeSample> acknowledged)
    {
        var returned = read.Sequences!.ToHashSet();
        var floor = read.Limit is { } most && read.Sequences!.Count >= most ? read.Sequences.Min() : long.MinValue;
        var missed = acknowledged.Where(w => w.Acknowledged < read.Invoke && w.Sequence >= floor && !returned.Contains(w.Sequence))
            .Select(w => w.Sequence).Order().ToList();
        return missed.Count == 0 ? null : new StaleRead(read.Invoke, read.Node, missed);
    }

    /// <summary>Sequences a read (or the final read) returned more than once, or more than one write acknowledged.</summary>
    private static IReadOnlyList<long> Duplicates(IReadOnlyList<HistoryOperation> history) =>
        history.Where(o => o.Type == OperationOutcome.Ok && o.Sequences is not null)
            .SelectMany(o => o.Sequences!.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key))
            .Concat(history.Where(o => o.F == HistoryOperation.Write && o.Type == OperationOutcome.Ok)
                .GroupBy(o => o.Sequence!.Value).Where(g => g.Count() > 1).Select(g => g.Key))
            .Distinct().Order().ToList();
}
