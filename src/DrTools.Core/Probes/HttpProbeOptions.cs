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
