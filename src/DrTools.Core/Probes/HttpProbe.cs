using System.Collections.Concurrent;
using System.Globalization;

namespace DrTools.Core.Probes;

/// <summary>Runs while a drill or a fault does, on the drill's clock; an attempt that does not answer the expected status in time
/// failed.</summary>
public sealed class HttpProbe : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentQueue<ProbeSample> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpProbeOptions _options;
    private readonly MonotonicClock _clock;
    private readonly Task _loop;

    private HttpProbe(HttpProbeOptions options, MonotonicClock clock)
    {
        if (options.Rate is < ProbeOptions.MinRate or > ProbeOptions.MaxRate) throw new DrToolsException($"HTTP probe rate "
            + $"{options.Rate}/s is out of range ({ProbeOptions.MinRate} to {ProbeOptions.MaxRate}).", DrErrorKind.InvalidArgument);
        (_options, _clock) = (options, clock);
        long sequence = 0;
        _loop = Task.Run(() => Pacing.RunAsync(options.Rate, clock, _stop.Token, () => AttemptAsync(++sequence)));
    }

    public static HttpProbe Start(HttpProbeOptions options, MonotonicClock clock) => new(options, clock);

    private async Task AttemptAsync(long sequence)
    {
        var sent = _clock.Elapsed;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        attempt.CancelAfter(_options.AttemptTimeout);
        try
        {
            using var response = await Http.GetAsync(_options.Url, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            var status = (int)response.StatusCode;
            _samples.Enqueue(status == _options.ExpectedStatus
                ? new ProbeSample(sequence, sent, _clock.Elapsed, _options.Url.Authority, null)
                : new ProbeSample(sequence, sent, null, _options.Url.Authority, $"answered {status}, expected {_options.ExpectedStatus}"));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            if (_stop.IsCancellationRequested) return;
            _samples.Enqueue(new ProbeSample(sequence, sent, null, _options.Url.Authority, e is OperationCanceledException
                ? $"no answer within {DurationText.Format(_options.AttemptTimeout)}" : e.Message));
        }
    }

    /// <summary>Stops after the current attempt and measures what the probe saw.</summary>
    public async Task<HttpProbeResult> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        var samples = _samples.OrderBy(s => s.Sequence).ToList();
        var failed = samples.Count(s => !s.Succeeded);
        var (longest, longestFrom, recovered) = LongestFailureRun(samples);
        var method = $"GET {_options.Url} at {_options.Rate.ToString(CultureInfo.InvariantCulture)}/s, {samples.Count} attempt(s), each "
            + $"failed unless it answered {_options.ExpectedStatus} within {DurationText.Format(_options.AttemptTimeout)}, on the drill's "
            + $"monotonic clock";
        var figures = new List<Measurement>
        {
            new("HTTP error rate", samples.Count == 0 ? 0 : Math.Round(100.0 * failed / samples.Count, 3), "%", _options.MaxErrorRate,
                method),
            new("HTTP longest run of failures", longest, "attempts", null, method),
            new("HTTP time to recover", recovered is { } end ? Math.Round((end - longestFrom).TotalSeconds, 3) : 0, "s", null,
                $"{method}; from the first attempt of the longest run of failures to the next answered one"
                    + (longest > 0 && recovered is null
                        ? " — NOT recovered before the probe stopped (lower bound: to the last attempt)"
                        : "")),
        };
        if (longest > 0
            && recovered is null) figures[2] = figures[2] with { Measured = Math.Round((samples[^1].Sent - longestFrom).TotalSeconds, 3) };
        figures.AddRange(ProbeAnalysis.Latency("HTTP", samples, _options.P99?.TotalMilliseconds));
        return new HttpProbeResult(_options.Url, samples.Count, failed, figures, samples);
    }

    private static (int Length, TimeSpan From, TimeSpan? RecoveredAt) LongestFailureRun(IReadOnlyList<ProbeSample> samples)
    {
        (int Length, TimeSpan From, TimeSpan? RecoveredAt) longest = (0, TimeSpan.Zero, null);
        for (var i = 0; i < samples.Count;)
        {
            if (samples[i].Succeeded) { i++; continue; }
            var start = i;
            while (i < samples.Count && !samples[i].Succeeded) i++;
            if (i - start > longest.Length) longest = (i - start, samples[start].Sent, i < samples.Count ? samples[i].Acknowledged : null);
        }
        return longest;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
