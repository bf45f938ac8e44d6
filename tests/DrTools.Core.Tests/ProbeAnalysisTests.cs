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
        Assert.Equal(1, outage.FailedAttempts);
        var split = ProbeAnalysis.SplitBrainWrites(samples, final, lost: [4]);
        Assert.Equal((2, 1), (split.Count, split.Lost));
        Assert.Equal(0.30, split.From!.Value.TotalSeconds, 6);
        Assert.Equal(0.41, split.To!.Value.TotalSeconds, 6);
        Assert.Equal(["a:1"], split.Members);
        // Without a final primary, a's late acknowledgements are availability, as before.
        Assert.Equal(4, ProbeAnalysis.Outage(samples, TimeSpan.FromSeconds(0.15)).LastBefore!.Sequence);
    }
}
