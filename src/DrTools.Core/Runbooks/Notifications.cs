using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>The body a webhook expects: DrTools' own JSON, Slack's incoming webhook, or a Microsoft Teams message card.</summary>
public enum NotifyFormat { Json, Slack, Teams }

/// <summary>A webhook a run tells of its start, abort and end.</summary>
public sealed record NotifyTarget(Uri Url, NotifyFormat Format)
{
    /// <summary>The URL as reports show it: a webhook's path and query are its secret.</summary>
    public string Display => $"{Url.Scheme}://{Url.Authority}/…";

    /// <summary>An absolute http(s) URL; without a format, Slack's and Teams' webhook hosts get theirs, any other plain JSON.</summary>
    public static NotifyTarget Parse(string url, string? format, string where)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new DrToolsException($"{where}: '{url}' is not an http(s) URL.", DrErrorKind.InvalidArgument);
        }
        var chosen = format?.ToLowerInvariant() switch
        {
            null => uri.Host == "hooks.slack.com" ? NotifyFormat.Slack : uri.Host.EndsWith(".webhook.office.com",
                StringComparison.OrdinalIgnoreCase) || uri.Host == "outlook.office.com" ? NotifyFormat.Teams : NotifyFormat.Json,
            "json" => NotifyFormat.Json,
            "slack" => NotifyFormat.Slack,
            "teams" => NotifyFormat.Teams,
            _ => throw new DrToolsException($"{where}: format '{format}' is not json, slack or teams.", DrErrorKind.InvalidArgument),
        };
        return new NotifyTarget(uri, chosen);
    }
}

/// <summary>What a run tells its webhooks: the event (start, abort, end), and at the end the verdict and the report.</summary>
public sealed record DrillNotice(string Event, string Drill, string RunId, DateTimeOffset At)
{
    public string? Status { get; init; }
    public string? Reason { get; init; }
    public string? Report { get; init; }
    public double? DurationSeconds { get; init; }
    public IReadOnlyList<ObjectiveResult> Objectives { get; init; } = [];

    public string Text => Event switch
    {
        "start" => $"DrTools drill '{Drill}' started (run {RunId}).",
        "abort" => $"DrTools drill '{Drill}' is stopping early: {Reason} (run {RunId}).",
        _ => $"DrTools drill '{Drill}' ended: {Status?.ToUpperInvariant()} in {DurationSeconds:0.###} s{ObjectivesText}"
            + $"{(Reason is null ? "" : $" ({Reason})")}. Report: {Report}",
    };

    private string ObjectivesText => Objectives.Count == 0 ? ""
        : $"; {string.Join(", ", Objectives.Select(o => $"{o.Name.ToUpperInvariant()} {(o.Met ? "met" : "NOT met")}"))}";
}

/// <summary>
/// Posts a notice to every webhook at once, each up to three times (5 s each, 0.5 s then 1 s apart) until it answers
/// 2xx. A failed notification never fails the drill: what failed is returned, for the run's issues.
/// </summary>
internal static class Notifier
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan[] Pauses = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = { new JsonStringEnumConverter() } };

    public static async Task<IReadOnlyList<string>> SendAsync(IReadOnlyList<NotifyTarget> targets, DrillNotice notice) =>
        (await Task.WhenAll(targets.Select(target => SendAsync(target, notice)))).OfType<string>().ToList();

    private static async Task<string?> SendAsync(NotifyTarget target, DrillNotice notice)
    {
        string failure = "";
        for (var attempt = 0; attempt <= Pauses.Length; attempt++)
        {
            if (attempt > 0) await Task.Delay(Pauses[attempt - 1]);
            using var timeout = new CancellationTokenSource(AttemptTimeout);
            try
            {
                using var response = await Http.PostAsync(target.Url, JsonContent.Create(Body(target.Format, notice), options: Json),
                    timeout.Token);
                if (response.IsSuccessStatusCode) return null;
                failure = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                failure = e is OperationCanceledException ? $"no answer within {DurationText.Format(AttemptTimeout)}"
                    : e.Message.Replace(target.Url.ToString(), target.Display, StringComparison.Ordinal);
            }
        }
        return $"notification of the run's {notice.Event} to {target.Display} failed after {Pauses.Length + 1} attempts: {failure}";
    }

    private static object Body(NotifyFormat format, DrillNotice notice) => format switch
    {
        NotifyFormat.Slack => new { text = notice.Text },
        NotifyFormat.Teams => new Dictionary<string, object>
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["summary"] = notice.Text,
            ["themeColor"] = notice.Status switch { "Passed" => "2EB886", null => "439FE0", _ => "D50200" },
            ["title"] = $"DrTools drill '{notice.Drill}': {notice.Event}",
            ["text"] = notice.Text,
        },
        _ => notice,
    };
}
