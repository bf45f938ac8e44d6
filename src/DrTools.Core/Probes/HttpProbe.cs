using System.Collections.Concurrent;
using System.Globalization;

namespace DrTools.Core.Probes;

/// <summary>An application-level probe: GET a URL at a rate, expecting a status, with targets for its error rate and p99 latency.</summary>
public sealed record HttpProbeOptions(Uri Url)
{
    public int ExpectedStatus { get; init; } = 200;
    public double Rate { get; init; } = 5;
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Most failed attempts allowed, in percent of all.</summary>
    public double? MaxErrorRate { get; init; }
    /// <summary>Most p99 latency allowed for answered attempts.</summary>
    public TimeSpan? P99 { get; init; }

    /// <summary>
    /// The probe a user asked for, or null when none; targets given without a URL are refused, naming the front end's
    /// own spelling of the options (<paramref name="names"/>).
    /// </summary>
    public static HttpProbeOptions? From(string? url, int expectedStatus, double rate, double? maxErrorRate, TimeSpan? p99, (string Url,
        string Targets) names) =>
        url is not null ? new(ParseUrl(url)) { ExpectedStatus = expectedStatus, Rate = rate, MaxErrorRate = maxErrorRate, P99 = p99 }
        : maxErrorRate is null && p99 is null ? null
        : throw new DrToolsException($"{names.Targets} are targets of the HTTP probe: give its URL ({names.Url}).",
            DrErrorKind.InvalidArgument);

    /// <summary>Reads a URL as a user gives it; anything but an absolute http(s) URL is refused, naming it.</summary>
    public static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new DrToolsException($"HTTP probe URL '{url}': write it as http://HOST:PORT/PATH.", DrErrorKind.InvalidArgument);
}

/// <summary>What the HTTP probe saw: error rate, latency percentiles, the longest run of failures and the time to recover from it, each
/// with its target.</summary>
public sealed record HttpProbeResult(Uri Url, int Attempts, int Failed, IReadOnlyList<Measurement> Figures,
    IReadOnlyList<ProbeSample> Samples)
{
    public bool Met => Figures.All(f => f.Met != false);

    public override string ToString() =>
        $"{Url}: {Failed}/{Attempts} failed; "
        + $"{string.Join(", ", Figures.Select(f => $"{f.Name} {Measurement.Format(f.Measured)} {f.Unit}"))}";
}

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
