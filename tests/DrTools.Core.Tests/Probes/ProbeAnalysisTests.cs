using DrTools.Core.Probes;

namespace DrTools.Core.Tests;

public sealed class ProbeAnalysisTests
{
    private static ProbeSample Ok(long seq, double sent, double acknowledged, string host = "a") => new(seq, TimeSpan.FromSeconds(sent), TimeSpan.FromSeconds(acknowledged), host, null);
    private static ProbeSample Failed(long seq, double sent) => new(seq, TimeSpan.FromSeconds(sent), null, null, "refused");

    [Fact]
    public void The_outage_is_the_longest_silence_from_the_last_acknowledgement_before_the_fault()
    {
        // A dying server acknowledges one write after the fault (seq 3): the outage starts after it, not at the fault.
        var samples = new[] { Ok(1, 0.00, 0.01), Ok(2, 0.10, 0.11), Ok(3, 0.20, 0.21), Failed(4, 0.30), Failed(5, 0.40), Ok(6, 0.50, 0.62, "b"), Ok(7, 0.70, 0.71, "b") };
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(0.15));
        Assert.Equal(3, outage.LastBefore!.Sequence);
        Assert.Equal(6, outage.FirstAfter!.Sequence);
        Assert.Equal(0.41, outage.Duration!.Value.TotalSeconds, 6);
        Assert.Equal(2, outage.FailedAttempts);
    }

    [Fact]
    public void Without_an_acknowledgement_after_the_fault_the_outage_has_no_end()
    {
        var outage = ProbeAnalysis.Outage([Ok(1, 0, 0.01), Failed(2, 0.1), Failed(3, 0.2)], TimeSpan.FromSeconds(0.05));
        Assert.Null(outage.FirstAfter);
        Assert.Null(outage.Duration);
        Assert.Equal(2, outage.FailedAttempts);
    }

    [Fact]
    public void Latency_percentiles_are_nearest_rank_over_answered_attempts_only()
    {
        // 100 answered attempts taking 1..100 ms, and failed ones that must not count.
        var samples = Enumerable.Range(1, 100).Select(i => Ok(i, i, i + i / 1000.0)).Concat([Failed(101, 200), Failed(102, 201)]).ToList();
        var figures = ProbeAnalysis.Latency("write", samples, p99TargetMs: 50);
        Assert.Equal(["write latency p50", "write latency p95", "write latency p99"], figures.Select(f => f.Name));
        Assert.Equal([50, 95, 99], figures.Select(f => f.Measured));
        Assert.False(figures[2].Met);
        Assert.Empty(ProbeAnalysis.Latency("read", [Failed(1, 0)]));
    }

    [Fact]
    public void Writes_acknowledged_just_after_the_fault_and_never_again_are_an_outage_with_no_end()
    {
        // The fault takes a moment to take effect: two writes get through after it, then nothing does until the probe stops.
        var samples = new[] { Ok(1, 0.00, 0.01), Ok(2, 0.10, 0.11), Ok(3, 0.20, 0.21), Failed(4, 0.30), Failed(5, 1.30), Failed(6, 2.30) };
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(0.15));
        Assert.Equal(3, outage.LastBefore!.Sequence);
        Assert.Null(outage.FirstAfter);
        Assert.Null(outage.Duration);
        Assert.Equal(3, outage.FailedAttempts);
    }

    [Fact]
    public void Writes_another_member_acknowledged_once_the_final_primary_was_one_are_split_brain_not_availability()
    {
        // "a" keeps acknowledging after "b" became primary at 0.25 (seq 3 and 4): an outage until b's first write, and two
        // split-brain writes, one lost. Seq 2 came back from a before b was primary: not split brain. Seq 7 was cut short.
        var samples = new[]
        {
            Ok(1, 0.00, 0.01, "a:1"), Ok(2, 0.20, 0.21, "a:1"), Ok(3, 0.30, 0.31, "a:1"), Ok(4, 0.40, 0.41, "a:1"), Failed(5, 0.50),
            Ok(6, 0.60, 0.90, "b:1"),
            new ProbeSample(7, TimeSpan.FromSeconds(0.95), null, "b:1", "stopped", Indeterminate: true) { Stopped = true },
        };
        var final = new FinalPrimary("b:1", TimeSpan.FromSeconds(0.25));
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(0.15), final);
        Assert.Equal(2, outage.LastBefore!.Sequence);
        Assert.Equal(6, outage.FirstAfter!.Sequence);
        Assert.Equal(0.69, outage.Duration!.Value.TotalSeconds, 6);
        // Seq 3 and 4 failed as far as availability goes (a's acknowledgements of them were split brain), and seq 5.
        Assert.Equal(3, outage.FailedAttempts);
        var split = ProbeAnalysis.SplitBrainWrites(samples, final, lost: [4]);
        Assert.Equal((2, 1), (split.Count, split.Lost));
        Assert.Equal(0.30, split.From!.Value.TotalSeconds, 6);
        Assert.Equal(0.41, split.To!.Value.TotalSeconds, 6);
        Assert.Equal(["a:1"], split.Members);
        // Without a final primary, a's late acknowledgements are availability, as before.
        Assert.Equal(4, ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(0.15)).LastBefore!.Sequence);
    }

    [Fact]
    public void Clients_that_kept_writing_to_the_old_primary_are_in_the_window_until_the_final_one_acknowledged_them()
    {
        // A Sentinel switchover as an independent tester saw it: client 4 (a new connection for each write) failed once and
        // found the new primary "b" (primary from 0.5) next; clients 1-3 kept their connections to "a", which acknowledged
        // them until 11.5 (split brain: all lost), and reached b at 11.6. The window was client 4's reconnection, RTO "met".
        var samples = FourClients(until: 12, (client, sent) => client == 4 && sent is >= 0.7 and < 0.75)
            .Select(s => s.Sent >= TimeSpan.FromSeconds(0.75) && (s.Client == 4 || s.Sent >= TimeSpan.FromSeconds(11.6))
                ? s with { Host = "b:1" } : s)
            .ToList();
        var final = new FinalPrimary("b:1", TimeSpan.FromSeconds(0.5));
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(0.4), final);
        Assert.True(outage.Duration!.Value >= TimeSpan.FromSeconds(11), $"window {outage.Duration}");
        Assert.Equal("b:1", outage.FirstAfter!.Host);
        Assert.Equal([1, 2, 3, 4], outage.FailedClients);
        Assert.Equal(outage.Duration, outage.Measured(samples));
    }

    [Fact]
    public void A_write_in_flight_when_the_final_primary_became_one_is_not_split_brain()
    {
        // Seq 2 was sent to "a" before "b" became primary at 0.25 and its acknowledgement read at 0.30 (a killed primary's
        // last commit, read late by a busy client): its commit may have come first. Seq 3, sent after, is split brain.
        var samples = new[] { Ok(1, 0.00, 0.01, "a:1"), Ok(2, 0.20, 0.30, "a:1"), Ok(3, 0.35, 0.36, "a:1"), Ok(4, 0.60, 0.61, "b:1") };
        var final = new FinalPrimary("b:1", TimeSpan.FromSeconds(0.25));
        var split = ProbeAnalysis.SplitBrainWrites(samples, final, lost: []);
        Assert.Equal(1, split.Count);
        Assert.Equal(0.35, split.From!.Value.TotalSeconds, 6);
        Assert.Equal(0, ProbeAnalysis.SplitBrainWrites(samples[..2], final, lost: []).Count);
    }

    /// <summary>
    /// Writes the old primary acknowledged once another was the final primary are failures of the window, and counted
    /// apart: a Redis switchover's report said "863 of 865 attempt(s) failed" of writes the old master had acknowledged
    /// (an independent tester), with nothing saying they were split-brain writes but a later caveat.
    /// </summary>
    [Fact]
    public void Writes_another_member_acknowledged_after_the_final_primary_took_over_are_failures_counted_as_split_brain()
    {
        // "b:1" is the final primary from 1.0 s; "a:1" acknowledged three more writes after that (1.2, 1.4, 1.6).
        var samples = new[]
        {
            Ok(1, 0.8, 0.81, "a:1"), Ok(2, 1.2, 1.21, "a:1"), Ok(3, 1.4, 1.41, "a:1"), Ok(4, 1.6, 1.61, "a:1"), Failed(5, 1.8),
            Ok(6, 2.0, 2.01, "b:1"), Ok(7, 2.2, 2.21, "b:1"),
        };
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1), new FinalPrimary("b:1", TimeSpan.FromSeconds(1.0)));
        Assert.Equal((4, 3), (outage.FailedAttempts, outage.SplitBrainAttempts));
        Assert.Equal((0.81, 2.01), Edges(outage));
        Assert.Equal(0, ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1)).SplitBrainAttempts);
    }

    /// <summary>
    /// Four clients writing every 0.4 s each, staggered 0.1 s apart, from 0 to <paramref name="until"/>: the attempts
    /// <paramref name="fails"/> picks (by client and send time) fail, everyone else's are acknowledged 10 ms later.
    /// </summary>
    private static List<ProbeSample> FourClients(double until, Func<int, double, bool> fails)
    {
        var samples = new List<ProbeSample>();
        var sequence = 0L;
        for (var at = 0.0; at < until - 1e-9; at += 0.4)
        {
            for (var client = 1; client <= 4; client++)
            {
                var sent = Math.Round(at + (client - 1) * 0.1, 6);
                var sample = fails(client, sent) ? Failed(++sequence, sent) : Ok(++sequence, sent, sent + 0.01, "a:1");
                samples.Add(sample with { Client = client });
            }
        }
        return samples;
    }

    /// <summary>Client 4's attempts sent in [<paramref name="from"/>, <paramref name="to"/>) fail.</summary>
    private static List<ProbeSample> FourClients(double until, double from, double to) =>
        FourClients(until, (client, sent) => client == 4 && sent >= from && sent < to);

    /// <summary>The same attempt of the same client, failed.</summary>
    private static ProbeSample FailedAt(ProbeSample sample) =>
        Failed(sample.Sequence, sample.Sent.TotalSeconds) with { Client = sample.Client };

    private static (double From, double To) Edges(Outage outage) =>
        (Math.Round(outage.LastBefore!.Acknowledged!.Value.TotalSeconds, 6),
            Math.Round(outage.FirstAfter!.Acknowledged!.Value.TotalSeconds, 6));

    [Fact]
    public void An_outage_every_client_saw_is_placed_by_their_staggered_attempts_not_by_one_client_s_interval()
    {
        // Every client fails from 1.55 s to 2.95 s (1.4 s): its first failure is sent at 1.6, its last at 2.9.
        var samples = FourClients(until: 5, (_, sent) => sent is >= 1.55 and < 2.95);
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1));
        // The last acknowledgement of any client before 1.6 (sent 1.5) to the first after 2.9 (sent 3.0): each edge within
        // one stagger (0.1 s) and a round trip of the outage, where each client's own gaps span 1.21 to 3.31 (2.1 s).
        Assert.Equal((1.51, 3.01), Edges(outage));
        Assert.Equal(1.5, outage.Duration!.Value.TotalSeconds, 6);
        Assert.Equal([1, 2, 3, 4], outage.FailedClients);
        Assert.Equal((14, 15), (outage.FailedAttempts, outage.Attempts));
        // One client's experience beside it: client 1 went from 1.21 to 3.21 without an acknowledgement.
        Assert.Equal(2.0, outage.LongestGap.TotalSeconds, 6);
        // One client alone (client 1) places the same outage within its own interval (0.4 s) only: 1.21 to 3.21.
        var one = ProbeAnalysis.Outage(samples.Where(s => s.Client == 1).ToList(), TimeSpan.FromSeconds(1));
        Assert.Equal((1.21, 3.21), Edges(one));
    }

    [Fact]
    public void One_client_failing_while_the_others_write_is_a_window_between_the_acknowledgements_around_its_failures()
    {
        // Client 4 (a new connection per write) fails from 1.5 s to 3.1 s while clients 1-3 keep writing every 0.4 s.
        var samples = FourClients(until: 5, from: 1.5, to: 3.2);
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1));
        // The last acknowledgement before its first failure (client 3's, sent 1.4) to the first after its last one (client
        // 1's, sent 3.2): each edge within one client's interval (0.4 s) of its own acknowledgements (1.11 and 3.51).
        Assert.Equal((3, 1.41), (outage.LastBefore!.Client, outage.LastBefore.Acknowledged!.Value.TotalSeconds));
        Assert.Equal((1, 3.21), (outage.FirstAfter!.Client, outage.FirstAfter.Acknowledged!.Value.TotalSeconds));
        Assert.Equal(1.8, outage.Duration!.Value.TotalSeconds, 6);
        Assert.Equal(2.4, outage.LongestGap.TotalSeconds, 6);
        // Sent in [1.41, 3.21): client 4's five failures (1.5, 1.9, 2.3, 2.7, 3.1) among 18 attempts.
        Assert.Equal((5, 18), (outage.FailedAttempts, outage.Attempts));
        Assert.Equal([4], outage.FailedClients);
        // Kept-open connections alone (what one kept-open connection saw) never failed: client 4's missing slots, 0.2 s.
        var kept = ProbeAnalysis.Outage(samples.Where(s => s.Client != 4).ToList(), TimeSpan.FromSeconds(1));
        Assert.Equal((0, 0.2), (kept.FailedAttempts, Math.Round(kept.Duration!.Value.TotalSeconds, 6)));
    }

    /// <summary>
    /// Client 4 fails from 1.5 s, its last failure (sent 2.3 s) seen only at 2.7 s, once every other client's write waits
    /// on a commit stalled until 4 s: the failures' window runs to the end of the stall, and the report named only the
    /// failures (CI, on a loaded machine). The stretch in which no client had a write acknowledged is kept beside it.
    /// </summary>
    [Fact]
    public void A_stall_joined_to_one_client_s_failures_is_named_inside_the_window()
    {
        var samples = FourClients(until: 6, from: 1.5, to: 2.6)
            .Select(s => s.Client == 4 && s.Sent == TimeSpan.FromSeconds(2.3) ? s with { Ended = TimeSpan.FromSeconds(2.7) } : s)
            .ToList();
        var stalled = new HashSet<int>();
        samples = samples.Where(s => s.Sent.TotalSeconds < 2.55 || s.Sent.TotalSeconds >= 4.0 || stalled.Add(s.Client))
            .Select(s => s.Sent.TotalSeconds is >= 2.55 and < 4.0 ? s with { Acknowledged = TimeSpan.FromSeconds(4.0 + s.Client / 100.0) } : s)
            .ToList();
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1));
        Assert.Null(outage.StallOver);
        Assert.Equal((1.41, 4.01), Edges(outage));
        Assert.Equal([4], outage.FailedClients);
        // No client had a write acknowledged from client 2's, sent 2.5 s, to client 1's stalled one, released at 4.01 s.
        var silence = Assert.IsType<Silence>(outage.Silence);
        Assert.Equal((2.51, 4.01, 0), (Math.Round(silence.From.TotalSeconds, 6), Math.Round(silence.To.TotalSeconds, 6), silence.FailedAttempts));
        // A window of failures alone has its silence inside it too: the stretch all clients failed together.
        var together = ProbeAnalysis.Outage(FourClients(until: 5, (_, sent) => sent is >= 1.55 and < 2.95), TimeSpan.FromSeconds(1));
        Assert.NotNull(together.Silence);
    }

    [Fact]
    public void The_window_runs_from_the_first_failure_of_any_client_to_the_last_with_the_error_rate_inside_it()
    {
        // Client 2 fails at 1.3 s, client 4 at 3.5 s: one window from before the first to after the last.
        var samples = FourClients(until: 6, from: 3.4, to: 3.6);
        samples = samples.Select(s => s.Client == 2 && s.Sent == TimeSpan.FromSeconds(1.3) ? FailedAt(s) : s).ToList();
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1));
        Assert.Equal((1, 1.21), (outage.LastBefore!.Client, outage.LastBefore.Acknowledged!.Value.TotalSeconds));
        Assert.Equal((1, 3.61), (outage.FirstAfter!.Client, outage.FirstAfter.Acknowledged!.Value.TotalSeconds));
        Assert.Equal(2.4, outage.Duration!.Value.TotalSeconds, 6);
        // Each client's longest gap is 0.8 s: the window is longer than any one of them.
        Assert.Equal(0.8, outage.LongestGap.TotalSeconds, 6);
        Assert.Equal((2, 24), (outage.FailedAttempts, outage.Attempts));
        Assert.Equal(100.0 * 2 / 24, outage.ErrorRate, 9);
        Assert.Equal([2, 4], outage.FailedClients);
    }

    [Fact]
    public void An_attempt_sent_before_the_fault_and_failed_by_it_does_not_start_the_window_before_the_fault()
    {
        // Client 4's new connection, sent at 1.5 s, is cut by the fault at 1.7 s and fails at 1.75 s; every client fails
        // from 1.75 s to 2.2 s. Client 1's acknowledgement at 1.61 s came before the fault: the window starts there, not
        // at client 3's at 1.41 s, the last before client 4's attempt was sent.
        var samples = FourClients(until: 4, (client, sent) => sent is >= 1.75 and < 2.2 || client == 4 && sent == 1.5)
            .Select(s => s.Client == 4 && s.Sent == TimeSpan.FromSeconds(1.5) ? s with { Ended = TimeSpan.FromSeconds(1.75) } : s)
            .ToList();
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1.7));
        Assert.Equal(1.61, outage.LastBefore!.Acknowledged!.Value.TotalSeconds, 6);
    }

    [Fact]
    public void An_external_switchover_is_over_only_once_the_writer_changed_not_at_one_client_s_passing_failure()
    {
        // The user's command at 1.0 s: one client fails once at 1.05 s while the others write on to "a"; "b" takes over at 2 s.
        ProbeSample[] samples =
        [
            Ok(1, 0.9, 0.91, "a:1"), Failed(2, 1.05), Ok(3, 1.06, 1.07, "a:1"), Ok(4, 1.5, 1.51, "a:1"), Ok(5, 2.0, 2.01, "b:1"),
        ];
        // Polled at 1.6 s, before "b" took over: not over yet. Then over at b's first write.
        Assert.Null(Failover.ExternalDrill.Recovered(samples[..4], TimeSpan.FromSeconds(1), "a:1", switchover: true));
        Assert.Equal(5, Failover.ExternalDrill.Recovered(samples, TimeSpan.FromSeconds(1), "a:1", switchover: true)!.Sequence);
        // After an unplanned fault the same server may be the one back.
        Assert.Equal(3, Failover.ExternalDrill.Recovered(samples[..4], TimeSpan.FromSeconds(1), "a:1", switchover: false)!.Sequence);
    }

    [Fact]
    public void A_stall_apart_from_the_failures_is_never_joined_to_them_and_the_longer_of_the_two_is_the_window()
    {
        // A failover: every client fails from 1.55 s to 1.85 s (window 1.51 to 1.91). Two seconds later (every client
        // acknowledged in between), a rejoin stalls every write sent from 3.8 s, none failing. An independent writer saw two
        // events; joined, they made one 2.8 s window. A stall until 4.0 s (no client acknowledged from 3.71 to 4.0) is the
        // shorter: the failures' window stands, the stall is beside it.
        List<ProbeSample> StalledUntil(double until) => FourClients(until: 6, (_, sent) => sent is >= 1.55 and < 1.85)
            .Select(s => s.Sent >= TimeSpan.FromSeconds(3.8) && s.Sent < TimeSpan.FromSeconds(until)
                ? s with { Acknowledged = TimeSpan.FromSeconds(until) } : s).ToList();
        var shorter = ProbeAnalysis.Outage(StalledUntil(4.0), TimeSpan.FromSeconds(1));
        Assert.Equal((1.51, 1.91), Edges(shorter));
        // Until 4.33 s, the stall is the longer: no client wrote for 0.62 s, and that is the figure (an objective of 0.5 s
        // was met while every client was stuck), alone, with no failure in it.
        var longer = ProbeAnalysis.Outage(StalledUntil(4.33), TimeSpan.FromSeconds(1));
        Assert.Equal((3.71, 4.33), Edges(longer));
        Assert.Equal(0, longer.FailedAttempts);
    }

    [Fact]
    public void Without_a_failure_the_window_is_the_longest_wait_and_a_hung_write_longer_than_the_failures_is_in_it()
    {
        // No failure: client 3's write sent at 2.2 hangs until 3.0, the others write on. The wait: from the last
        // acknowledgement of any client before it was sent (client 2's at 2.11) to 3.0.
        var samples = FourClients(until: 5, from: 99, to: 99)
            .Select(s => s.Client == 3 && s.Sent == TimeSpan.FromSeconds(2.2) ? s with { Acknowledged = TimeSpan.FromSeconds(3.0) } : s)
            .Where(s => !(s.Client == 3 && s.Sent > TimeSpan.FromSeconds(2.2) && s.Sent < TimeSpan.FromSeconds(3.0))).ToList();
        var quiet = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1));
        Assert.Equal((2, 2.11, 3.0), (quiet.LastBefore!.Client, quiet.LastBefore.Acknowledged!.Value.TotalSeconds,
            quiet.FirstAfter!.Acknowledged!.Value.TotalSeconds));
        Assert.Equal((0, 0), (quiet.FailedAttempts, quiet.FailedClients.Count));
        Assert.Equal(1.19, quiet.LongestGap.TotalSeconds, 6);
        // One failure of client 4 at 2.3 (2.11 to 2.41) is shorter than that hang: the window covers both.
        var failing = samples.Select(s => s.Client == 4 && s.Sent == TimeSpan.FromSeconds(2.3) ? FailedAt(s) : s).ToList();
        var outage = ProbeAnalysis.Outage(failing, TimeSpan.FromSeconds(1));
        Assert.Equal((2.11, 3.0), Edges(outage));
        Assert.Equal([4], outage.FailedClients);
    }

    [Fact]
    public void A_failure_is_over_once_it_was_seen_a_hung_one_at_its_timeout()
    {
        // Every client fails from 1.55 s; client 2's attempt sent at 2.9 hangs and is seen failing at 3.5 (its timeout),
        // after the others wrote again from 3.0: the window ends with the first acknowledgement after 3.5 (client 4's, sent
        // 3.5), not at 3.01.
        var samples = FourClients(until: 5, (_, sent) => sent is >= 1.55 and < 2.95)
            .Select(s => s.Client == 2 && s.Sent == TimeSpan.FromSeconds(2.9) ? s with { Ended = TimeSpan.FromSeconds(3.5) } : s)
            .Where(s => !(s.Client == 2 && s.Sent == TimeSpan.FromSeconds(3.3))).ToList();
        Assert.Equal((1.51, 3.51), Edges(ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1))));
    }

    [Fact]
    public void Stopped_attempts_and_split_brain_writes_are_left_out_client_by_client()
    {
        var samples = FourClients(until: 3, from: 1.5, to: 2.4);
        // Client 2's last attempt was cut short by the stop after hanging 2 s: no gap of its own, no failure.
        samples.Add(new ProbeSample(1000, TimeSpan.FromSeconds(3.1), null, "a:1", "stopped", Indeterminate: true)
        {
            Stopped = true, Client = 2, Ended = TimeSpan.FromSeconds(5.1),
        });
        var outage = ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(1));
        Assert.Equal([4], outage.FailedClients);
        Assert.Equal((1.41, 2.41), Edges(outage));
        // Client 4's acknowledgement at 2.71 came from "a" once "b" was the final primary (from 2.5): split brain, so its
        // failures have no end.
        var final = new FinalPrimary("b:1", TimeSpan.FromSeconds(2.5));
        var split = samples.Select(s => s.Sent >= TimeSpan.FromSeconds(2.5) && s.Client != 4 && s.Succeeded ? s with { Host = "b:1" } : s)
            .ToList();
        var open = ProbeAnalysis.Outage(split, TimeSpan.FromSeconds(1), final);
        Assert.Null(open.FirstAfter);
        Assert.Equal(1.41, open.LastBefore!.Acknowledged!.Value.TotalSeconds, 6);
        // A lower bound: to the last attempt sent (3.1).
        Assert.Equal(3.1 - 1.41, open.Measured(split).TotalSeconds, 6);
    }

    [Fact]
    public void The_data_loss_window_starts_at_the_last_survivor_acknowledged_before_the_first_lost_write()
    {
        // Two clients: 3 (client 1) hangs and is acknowledged after 4 (client 2), which is lost with 6; 3 and 5 survive.
        ProbeSample[] samples =
        [
            Ok(1, 0.0, 0.01) with { Client = 1 }, Ok(2, 0.05, 0.06) with { Client = 2 }, Ok(3, 0.1, 0.5) with { Client = 1 },
            Ok(4, 0.15, 0.16) with { Client = 2 }, Ok(5, 0.2, 0.21) with { Client = 2 }, Ok(6, 0.3, 0.31) with { Client = 2 },
        ];
        var loss = ProbeAnalysis.LostWrites(new HashSet<long> { 1, 2, 3, 5 }, samples);
        Assert.Equal([4L, 6L], loss.LostSequences);
        // From 2's acknowledgement (0.06), the last survivor before 4's (0.16), to 6's (0.31): 3's at 0.5 is later.
        Assert.Equal(0.25, loss.Window.TotalSeconds, 6);
    }
}
