using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>
/// What every drill shares, whoever recovers: one monotonic clock and its timeline, the run id, the write and read
/// probes, the phase it is in (its progress), the baseline before the fault, and the drill's history carried by
/// whatever error ends it. Each recovery — DrTools' per engine, Patroni, the Sentinels, an external one — supplies
/// only its phases.
/// </summary>
internal sealed class FailoverRun : IAsyncDisposable
{
    public const string Measuring = "measuring what the probes saw, lost writes and integrity";

    private readonly FailoverOptions _options;
    private Probe? _writes;
    private Probe? _reads;

    public FailoverRun(FailoverOptions options)
    {
        _options = options;
        Timeline = new Timeline(Clock);
    }

    public MonotonicClock Clock { get; } = new();

    public Timeline Timeline { get; }

    public Guid RunId { get; } = Guid.NewGuid();

    public Probe Writes => _writes ?? throw new InvalidOperationException("the drill's probes have not started");

    public Probe Reads => _reads ?? throw new InvalidOperationException("the drill's probes have not started");

    /// <summary>The phase the drill is in, for the error that ends it.</summary>
    public string Phase { get; private set; } = "";

    /// <summary>Starts the write probe, then the read probe, on the drill's clock.</summary>
    public void StartProbes(Func<ProbeKind, Probe> start)
    {
        _writes = start(ProbeKind.Write);
        _reads = start(ProbeKind.Read);
        Timeline.Mark("probes started", _writes.Path);
    }

    public void Enter(string phase, int percent)
    {
        Phase = phase;
        _options.Progress.Enter(phase, percent);
    }

    /// <summary>The roles watched on for the settle time once the topology settled: a phase of its own, so the wait is seen.</summary>
    public void EnterSettleWatch() => Enter($"watching the roles for {DurationText.Format(_options.Settle)} after the settling", 94);

    /// <summary>
    /// A first acknowledged write, then the baseline of them before the fault: without it the outage has no start. A
    /// write probe that never succeeds (through <paramref name="through"/>, when it goes through an endpoint) ends the
    /// drill before anything changed.
    /// </summary>
    public async Task<ProbeSample> BaselineAsync(string? through, CancellationToken cancellationToken)
    {
        Enter("the baseline", 5);
        var first = await Writes.WaitForSuccessAsync(TimeSpan.Zero, _options.PhaseTimeout, cancellationToken)
            ?? throw DrToolsException.RefusedAfter($"the write probe never succeeded{(through is null ? "" : $" through {through}")} "
                + $"({Writes.Samples.LastOrDefault()?.Error})");
        await Writes.WaitForBaselineAsync(_options.BaselineWrites, _options.PhaseTimeout, cancellationToken);
        return first;
    }

    /// <summary>Until the first write (and read) after <paramref name="since"/>; none within the phase timeout is marked.</summary>
    public async Task WaitForResumedAsync(TimeSpan since, string noneEvent, CancellationToken cancellationToken)
    {
        var resumed = await Task.WhenAll(Writes.WaitForSuccessAsync(since, _options.PhaseTimeout, cancellationToken),
            Reads.WaitForSuccessAsync(since, _options.PhaseTimeout, cancellationToken));
        if (resumed[0] is null)
        {
            Timeline.Mark(noneEvent, $"within {DurationText.Format(_options.PhaseTimeout)}: {Writes.Samples.LastOrDefault()?.Error}");
        }
    }

    /// <summary><paramref name="failure"/> with the drill's history until now; the probes are stopped.</summary>
    /// <summary>Both probes stopped once a phase failed; returns the writes acknowledged, which the failure names.</summary>
    public async Task<int> StopProbesAsync()
    {
        var acknowledged = (await Writes.StopAsync()).Count(s => s.Succeeded);
        await Reads.StopAsync();
        return acknowledged;
    }

    public Task<Exception> FailedAsync(Exception failure) => DrillFailure.WithHistoryAsync(failure, RunId, Writes, Reads, Timeline, Clock);

    /// <summary>The figures, once the recovery's phases are done; an error measuring them still carries what the probes saw.</summary>
    public async Task<FailoverResult> MeasureAsync(Func<Task<FailoverResult>> measure, string what = Measuring)
    {
        _options.Progress.Enter(what, 95);
        try
        {
            return await measure();
        }
        catch (Exception e)
        {
            throw await FailedAsync(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_reads is not null) await _reads.DisposeAsync();
        if (_writes is not null) await _writes.DisposeAsync();
    }
}
