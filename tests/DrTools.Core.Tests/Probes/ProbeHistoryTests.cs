using DrTools.Core.Probes;

namespace DrTools.Core.Tests;

/// <summary>The history checker on hand-written histories: each anomaly it reports, and what it must not report.</summary>
public sealed class ProbeHistoryTests
{
    private const string Drill = "0123456789abcdef0123456789abcdef";

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static HistoryOperation Write(long seq, double invoke, double? complete, OperationOutcome type = OperationOutcome.Ok,
        string node = "a:1") => new()
    {
        Drill = Drill, Process = "write", Connection = 1, F = HistoryOperation.Write, Sequence = seq, Invoke = S(invoke),
        Complete = complete is { } c ? S(c) : null, Node = node, Type = type, Error = type == OperationOutcome.Ok ? null : "no answer",
    };

    private static HistoryOperation Read(double invoke, double complete, params long[] seen) => new()
    {
        Drill = Drill, Process = "read", Connection = 1, F = HistoryOperation.Read, Sequences = seen, Limit = 4, Invoke = S(invoke),
        Complete = S(complete), Node = "a:1", Type = OperationOutcome.Ok,
    };

    private static HistoryOperation Fault(double at) => new()
    {
        Drill = Drill, Process = "nemesis", F = HistoryOperation.Fault, Description = "SIGKILL", Invoke = S(at), Complete = S(at + 0.01),
        Type = OperationOutcome.Ok,
    };

    private static HistoryOperation Final(string node, double? since, params long[] present) => new()
    {
        Drill = Drill, Process = "final", F = HistoryOperation.FinalRead, Sequences = present, Invoke = S(9), Complete = S(9.1),
        Node = node,
        Since = since is { } s ? S(s) : null, Type = OperationOutcome.Ok,
    };

    [Fact]
    public void An_acknowledged_write_absent_at_the_end_is_lost_and_fails_the_verdict()
    {
        var check = ProbeHistoryChecker.Check(
            [Write(1, 0.0, 0.1), Write(2, 0.2, 0.3), Fault(0.35), Write(3, 0.4, 0.5), Write(4, 0.6, 0.7), Final("a:1", null, 1, 2, 4)]);
        Assert.Equal([3L], check.Loss.LostSequences);
        Assert.Equal(1, check.Figure(ProbeHistoryChecker.LostWrites).Measured);
        // From the last survivor before it (2, acknowledged at 0.3) to its own acknowledgement (0.5).
        Assert.Equal(0.2, check.Figure(ProbeHistoryChecker.DataLossWindow).Measured, 9);
        Assert.False(check.Valid);
        Assert.True(ProbeHistoryChecker.Check([Write(1, 0.0, 0.1), Fault(0.35), Final("a:1", null, 1)]).Valid);
    }

    [Fact]
    public void An_indeterminate_write_absent_at_the_end_is_reported_apart_never_as_lost()
    {
        var check = ProbeHistoryChecker.Check([Write(1, 0.0, 0.1), Fault(0.15), Write(2, 0.2, 2.2, OperationOutcome.Indeterminate),
            Write(3, 2.3, 2.4, OperationOutcome.Indeterminate), Write(4, 2.5, 2.6, OperationOutcome.Fail), Write(5, 2.7, 2.8),
            Final("b:1", null, 1, 3, 5)]);
        Assert.Empty(check.Loss.LostSequences);
        Assert.Equal([2L, 3L], check.Indeterminate);
        Assert.Equal([3L], check.IndeterminatePresent);
        Assert.Empty(check.FailedPresent);
        Assert.True(check.Valid);
        // A write the server refused that is there all the same is an anomaly the checker names.
        var refused = ProbeHistoryChecker.Check([Write(4, 0.0, 0.1, OperationOutcome.Fail), Fault(0.2), Final("a:1", null, 4)]);
        Assert.Equal([4L], refused.FailedPresent);
    }

    /// <summary>No write acknowledged after the last failure: the outage outlasted the probing, a lower bound never met.</summary>
    [Fact]
    public void An_outage_no_write_ended_while_probing_is_more_than_its_figure_and_never_met()
    {
        var check = ProbeHistoryChecker.Check([Write(1, 0.0, 0.1), Fault(0.15), Write(2, 0.2, 0.3, OperationOutcome.Fail),
            Write(3, 0.4, 0.5, OperationOutcome.Fail), Final("b:1", null, 1)]);
        var figure = check.Figure(ProbeHistoryChecker.WriteUnavailability) with { Target = 30 };

        Assert.True(figure.MoreThan);
        Assert.False(figure.Met);
        Assert.StartsWith("more than ", figure.MeasuredText);
    }

    [Fact]
    public void A_read_begun_after_an_acknowledgement_that_did_not_return_it_is_stale()
    {
        var check = ProbeHistoryChecker.Check(
        [
            Write(1, 0.0, 0.1), Write(2, 0.2, 0.3), Fault(0.35), Write(3, 0.4, 0.5),
            // Began before 3 was acknowledged: not stale. Began after, and returned up to 2 only: stale.
            Read(0.45, 0.46, 2, 1), Read(0.55, 0.56, 2, 1),
            Write(4, 0.6, 0.7), Write(5, 0.8, 0.9), Write(6, 1.0, 1.1), Write(7, 1.2, 1.3),
            // Its limit of 4 returned 7..4: 1-3 are older than what it read, not missed.
            Read(1.4, 1.41, 7, 6, 5, 4),
            Final("a:1", null, 1, 2, 3, 4, 5, 6, 7),
        ]);
        var stale = Assert.Single(check.StaleReads);
        Assert.Equal(S(0.55), stale.Invoke);
        Assert.Equal([3L], stale.Missed);
        Assert.Equal(1, check.Figure(ProbeHistoryChecker.StaleReads).Measured);
        Assert.Equal([3L], check.NeverRead);
        Assert.True(check.Valid);
    }

    [Fact]
    public void A_sequence_returned_twice_is_duplicated()
    {
        var check = ProbeHistoryChecker.Check(
            [Write(1, 0.0, 0.1), Write(2, 0.2, 0.3), Fault(0.35), Read(0.4, 0.41, 2, 2, 1), Final("a:1", null, 1, 2, 1)]);
        Assert.Equal([1L, 2L], check.Duplicated);
        Assert.Empty(ProbeHistoryChecker.Check([Write(1, 0.0, 0.1), Fault(0.35), Read(0.4, 0.41, 1), Final("a:1", null, 1)]).Duplicated);
    }

    [Fact]
    public void A_write_another_member_acknowledged_once_the_final_primary_was_one_is_split_brain()
    {
        HistoryOperation[] history =
        [
            Write(1, 0.0, 0.1), Fault(0.15), Write(2, 0.2, 0.21), Write(3, 0.3, 0.31), Write(4, 0.6, 0.9, node: "b:1"),
            Final("b:1", 0.25, 1, 2, 4),
        ];
        var check = ProbeHistoryChecker.Check(history);
        Assert.Equal((1, 1), (check.SplitBrain!.Count, check.SplitBrain.Lost));
        Assert.Equal(["a:1"], check.SplitBrain.Members);
        Assert.False(check.Valid);
        // Without the moment the final primary became one, split brain is not decided (and the outage is a's and b's alike).
        var undecided = ProbeHistoryChecker.Check([.. history[..^1], Final("b:1", null, 1, 2, 4)]);
        Assert.Null(undecided.SplitBrain);
        Assert.DoesNotContain(undecided.Figures, f => f.Name == ProbeHistoryChecker.SplitBrainWrites);
        Assert.NotEqual(undecided.Figure(ProbeHistoryChecker.WriteUnavailability).Measured,
            check.Figure(ProbeHistoryChecker.WriteUnavailability).Measured);
    }

    [Fact]
    public void A_drill_that_ended_with_an_error_is_not_decided_and_the_other_drills_of_the_history_are_checked()
    {
        using var folder = new TemporaryRoot();
        var file = Path.Combine(folder.Path, ProbeHistory.FileName);
        var other = Guid.NewGuid();
        ProbeSample Attempt(long seq, double sent, double? acknowledged) =>
            new(seq, S(sent), acknowledged is { } at ? S(at) : null, "a:1", acknowledged is null ? "refused" : null) { Client = 1 };
        // The error's text as the journal holds it, a password in it and on two lines: one line in the file, masked.
        var unfinished = ProbeHistory.Unfinished(other, [Attempt(1, 0.0, 0.1), Attempt(2, 0.6, null)], [],
            new ProbeHistory.Nemesis(S(0.5), null, "SIGKILL"), S(0.7), "promotion failed:\npassword=hunter2 refused");
        var error = Assert.Single(unfinished, o => o.F == HistoryOperation.DrillError);
        Assert.Equal((S(0.7), "promotion failed: password=hunter2 refused"), (error.Invoke, error.Error));
        AtomicFile.Write(file, ProbeHistory.ToJsonLines([Write(1, 0.0, 0.1), Fault(0.35), Final("a:1", null, 1), .. unfinished]));
        Assert.DoesNotContain("hunter2", File.ReadAllText(file));

        var checks = ProbeHistoryChecker.CheckAll(ProbeHistory.Load(file));
        Assert.Equal(Drill, Assert.Single(checks.Checked).Drill);
        var undecided = Assert.Single(checks.Undecided);
        Assert.Equal((other.ToString("N"), 2, 0), (undecided.Drill, undecided.Writes, undecided.Reads));
        Assert.StartsWith("promotion failed: password=", undecided.Error);
        Assert.DoesNotContain("hunter2", undecided.Error);
        // Its operations and fault as the probes saw them, nothing in place of the final read but the error.
        var lines = ProbeHistory.Load(file).Where(o => o.Drill == undecided.Drill).ToList();
        Assert.Equal([HistoryOperation.Write, HistoryOperation.Fault, HistoryOperation.Write, HistoryOperation.DrillError],
            lines.Select(o => o.F));
        Assert.Equal(HistoryOperation.EndedBeforeFinalRead, lines[^1].Description);
        // An exception carries it, also wrapped.
        var thrown = ProbeHistory.Attach(new DrToolsException("x", DrErrorKind.InvalidOperation), unfinished);
        Assert.Same(unfinished, ProbeHistory.CarriedBy(new InvalidOperationException("wrapped", thrown)));
        Assert.Null(ProbeHistory.CarriedBy(new InvalidOperationException("none")));
    }

    [Fact]
    public void A_history_written_as_json_lines_reads_back_to_the_same_figures_and_a_bad_line_is_named()
    {
        using var folder = new TemporaryRoot();
        var file = Path.Combine(folder.Path, ProbeHistory.FileName);
        HistoryOperation[] history =
        [
            // A fault whose completion the drill did not see (a switchover's fence request): "complete" null, as documented.
            Write(1, 0.0, 0.1000001), Fault(0.15) with { Complete = null },
            Write(2, 0.2, 0.4, OperationOutcome.Indeterminate) with { Stopped = true },
            Read(0.3, 0.31, 1), Write(3, 0.5, 0.5123457, node: "b:1"), Final("b:1", 0.25, 1, 3),
        ];
        AtomicFile.Write(file, ProbeHistory.ToJsonLines(history));

        var loaded = ProbeHistory.Load(file);
        Assert.Equal(history, loaded,
            (a, b) => a with { Sequences = null } == b with { Sequences = null } && a.Sequences?.SequenceEqual(b.Sequences!) != false);
        Assert.Equal(ProbeHistoryChecker.Check(history).Figures, ProbeHistoryChecker.Check(loaded).Figures);

        const string bad = """{"drill": "x", "process": "write", "f": "write", "value": "seven", "invoke": 1, "type": "ok"}""";
        File.AppendAllText(file, bad + "\n");
        var error = Assert.Throws<DrToolsException>(() => ProbeHistory.Load(file));
        Assert.StartsWith($"{file}:7: not a history operation", error.Message);
    }

    [Fact]
    public void A_history_s_clients_give_the_window_its_longest_gap_and_error_rate_and_read_back_from_json_lines()
    {
        using var folder = new TemporaryRoot();
        var file = Path.Combine(folder.Path, ProbeHistory.FileName);
        // Client 1 keeps writing every 0.2 s; client 2 (a new connection per write) fails from 0.7 to 1.3.
        var writes = new List<HistoryOperation>();
        for (var i = 0; i < 10; i++)
        {
            writes.Add(Write(2 * i + 1, 0.2 * i, 0.2 * i + 0.01) with { Client = 1, Connection = 1 });
            var sent = 0.2 * i + 0.1;
            var write = sent is > 0.5 and < 1.4
                ? Write(2 * i + 2, sent, sent + 0.02, OperationOutcome.Fail)
                : Write(2 * i + 2, sent, sent + 0.01);
            writes.Add(write with { Client = 2, Connection = i + 2 });
        }
        var acknowledged = writes.Where(w => w.Type == OperationOutcome.Ok).Select(w => w.Sequence!.Value).ToArray();
        HistoryOperation[] history = [.. writes, Fault(0.4), Final("a:1", null, acknowledged)];
        AtomicFile.Write(file, ProbeHistory.ToJsonLines(history));
        Assert.Contains("\"client\":2", File.ReadAllText(file));
        var check = ProbeHistoryChecker.Check(ProbeHistory.Load(file));

        // From client 1's acknowledgement at 0.61, the last before client 2's first failure (sent 0.7), to its first after
        // client 2's last failure was seen (1.32), at 1.41: four failures among the 8 attempts sent between. Client 2's own
        // gap, from 0.51 to 1.51, is the longest gap beside it.
        Assert.Equal(0.8, check.Figure(ProbeHistoryChecker.WriteUnavailability).Measured, 9);
        Assert.Equal(1.0, check.Figure(ProbeHistoryChecker.WriteLongestGap).Measured, 9);
        Assert.Equal(50, check.Figure(ProbeHistoryChecker.WriteErrorRate).Measured, 9);
        Assert.Equal([2], check.WriteOutage.FailedClients);
        // Without the client field (a history written before clients) the attempts are one client's, whose
        // acknowledgements every 0.2 s hide client 2's failures from the gaps: the window is the failures' span alone,
        // and the figures beside it, which such a history's journal does not have, are not decided.
        var asOne = ProbeHistoryChecker.Check([.. history.Select(o => o with { Client = null })]);
        Assert.Equal(0.8, asOne.Figure(ProbeHistoryChecker.WriteUnavailability).Measured, 9);
        Assert.Equal(0.2, asOne.WriteOutage.LongestGap.TotalSeconds, 9);
        Assert.DoesNotContain(asOne.Figures, f => f.Name is ProbeHistoryChecker.WriteLongestGap or ProbeHistoryChecker.WriteErrorRate);
    }
}
