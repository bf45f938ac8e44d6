using System.Globalization;
using System.Text.Json;

namespace DrTools.Core.Monitoring;

/// <summary>The parts of Prometheus' HTTP API a drill reads (v1: targets, rules, instant queries).</summary>
public static class Prometheus
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Whether at least <paramref name="targets"/> targets are up and every rule group was evaluated once.</summary>
    public static async Task<bool> ScrapedAsync(Uri prometheus, int targets, CancellationToken cancellationToken)
    {
        try
        {
            using var scraped = await GetAsync(prometheus, "api/v1/targets?state=active", cancellationToken);
            var up = scraped.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Count(t => t.GetProperty("health").GetString() == "up");
            return up >= targets && (await RulesAsync(prometheus, cancellationToken)).All(r => r.Health != "unknown");
        }
        catch (DrToolsException)
        {
            return false;
        }
    }

    public static async Task<IReadOnlyList<AlertRule>> RulesAsync(Uri prometheus, CancellationToken cancellationToken)
    {
        using var rules = await GetAsync(prometheus, "api/v1/rules?type=alert", cancellationToken);
        return rules.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => new AlertRule(r.GetProperty("name").GetString()!, r.GetProperty("query").GetString()!,
                r.GetProperty("state").GetString()!, r.GetProperty("health").GetString()!,
                r.TryGetProperty("lastError", out var error) && error.GetString() is { Length: > 0 } text ? text : null,
                r.GetProperty("alerts").EnumerateArray().Select(a => new RuleAlert(Labels(a.GetProperty("labels")),
                    a.GetProperty("state").GetString()!,
                    a.TryGetProperty("activeAt", out var active) ? active.GetDateTimeOffset() : null, a.TryGetProperty("value",
                        out var value) ? value.GetString() : null)).ToList())
            {
                Duration = r.TryGetProperty("duration", out var seconds) ? $"{seconds.GetDouble().ToString(CultureInfo.InvariantCulture)}s"
                    : "0s",
            }).ToList();
    }

    /// <summary>An instant query's series: labels and value.</summary>
    public static async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, string Value)>> QueryAsync(Uri prometheus,
        string query, CancellationToken cancellationToken)
    {
        using var result = await GetAsync(prometheus, $"api/v1/query?query={Uri.EscapeDataString(query)}", cancellationToken);
        var data = result.RootElement.GetProperty("data");
        return data.GetProperty("resultType").GetString() == "vector"
            ? data.GetProperty("result").EnumerateArray().Select(s => (Labels(s.GetProperty("metric")),
                s.GetProperty("value")[1].GetString()!)).ToList()
            : [];
    }

    internal static IReadOnlyDictionary<string, string> Labels(JsonElement labels) => labels.EnumerateObject().ToDictionary(p => p.Name,
        p => p.Value.GetString() ?? "");

    internal static async Task<JsonDocument> GetAsync(Uri server, string path, CancellationToken cancellationToken,
        string what = "Prometheus")
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(server, path), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode) throw new DrToolsException($"{what} at {server} answered {(int)response.StatusCode} to "
                + $"{path.Split('?')[0]}: {body.Trim()}", DrErrorKind.ConnectionFailed);
            return JsonDocument.Parse(body);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException
            && !cancellationToken.IsCancellationRequested))
        {
            throw new DrToolsException($"{what} at {server} does not answer: "
                + $"{(e is TaskCanceledException ? "no answer within 5s" : e.Message)}", DrErrorKind.ConnectionFailed);
        }
    }
}
