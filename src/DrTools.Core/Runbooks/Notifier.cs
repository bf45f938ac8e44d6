using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

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
