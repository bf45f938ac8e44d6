using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace DrTools.Core.Patroni;

/// <summary>Patroni's REST API on one node.</summary>
public sealed class PatroniApi(Uri baseUrl)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public Uri BaseUrl { get; } = baseUrl;

    /// <summary>The status code of GET <paramref name="path"/> (/primary answers 200 only on the leader), or null when nothing
    /// answers.</summary>
    public async Task<int?> StatusAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(BaseUrl, path), cancellationToken);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async Task<PatroniClusterView> ClusterAsync(CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync("cluster", cancellationToken);
        var root = document.RootElement;
        var members = root.TryGetProperty("members", out var list)
            ? list.EnumerateArray().Select(m => new PatroniMember(
                Text(m, "name") ?? "?", Text(m, "role") ?? "?", Text(m, "state") ?? "?", Text(m, "host") ?? "?",
                m.TryGetProperty("port", out var port) && port.TryGetInt32(out var p) ? p : 0,
                m.TryGetProperty("timeline", out var timeline) && timeline.TryGetInt32(out var t) ? t : null,
                m.TryGetProperty("lag", out var lag) && lag.ValueKind == JsonValueKind.Number ? lag.GetInt64() : null,
                m.TryGetProperty("pending_restart", out var pending) && pending.ValueKind == JsonValueKind.True)
            {
                ApiUrl = Uri.TryCreate(Text(m, "api_url"), UriKind.Absolute, out var api) ? new Uri(api.GetLeftPart(UriPartial.Authority))
                    : null,
            }).ToList()
            : [];
        return new PatroniClusterView(members, root.TryGetProperty("pause", out var pause) && pause.ValueKind == JsonValueKind.True);
    }

    public async Task<IReadOnlyList<PatroniHistoryEntry>> HistoryAsync(CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync("history", cancellationToken);
        return document.RootElement.EnumerateArray().Select(entry =>
        {
            var fields = entry.EnumerateArray().ToList();
            string? Field(int i) => i < fields.Count && fields[i].ValueKind == JsonValueKind.String ? fields[i].GetString() : null;
            return new PatroniHistoryEntry(
                fields.Count > 0 && fields[0].TryGetInt32(out var timeline) ? timeline : 0,
                fields.Count > 1 && fields[1].TryGetInt64(out var lsn) ? lsn : 0,
                Field(2) ?? "",
                DateTimeOffset.TryParse(Field(3), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
                Field(4));
        }).ToList();
    }

    /// <summary>
    /// Patroni's view from whichever of <paramref name="urls"/> answers first, all asked at once (a dead or frozen node
    /// costs nothing), with the API that answered; when none answers within <paramref name="deadline"/>, why each did not.
    /// </summary>
    public static async Task<(PatroniApi? Api, PatroniClusterView? View,
        IReadOnlyList<string> Failures)> FirstAnswerAsync(IReadOnlyList<Uri> urls, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quick.CancelAfter(deadline);
        var asking = urls.Select(url => new PatroniApi(url)).Select(api => (Api: api, Task: api.ClusterAsync(quick.Token))).ToList();
        var pending = asking.Select(a => a.Task).ToList();
        try
        {
            while (pending.Count > 0)
            {
                var answered = await Task.WhenAny(pending);
                pending.Remove(answered);
                if (answered.IsCompletedSuccessfully) return (asking.First(a => a.Task == answered).Api, answered.Result, []);
            }
            cancellationToken.ThrowIfCancellationRequested();
            return (null, null, asking.Select(a => a.Task.Exception?.InnerException is DrToolsException e ? e.Message
                : $"Patroni at {a.Api.BaseUrl} did not answer GET /cluster within {DurationText.Format(deadline)}").ToList());
        }
        finally
        {
            await quick.CancelAsync();
            await Task.WhenAll(pending.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    /// <summary>A planned switchover now (POST /switchover): Patroni stops the leader cleanly and promotes the candidate.</summary>
    public async Task SwitchoverAsync(string leader, string candidate, CancellationToken cancellationToken)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { leader, candidate }), Encoding.UTF8, "application/json");
        using var response = await SendAsync(() => Http.PostAsync(new Uri(BaseUrl, "switchover"), content, cancellationToken),
            "POST /switchover", cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new DrToolsException($"Patroni at {BaseUrl} refused the switchover from {leader} to {candidate}: "
                + $"{(int)response.StatusCode} {(await response.Content.ReadAsStringAsync(cancellationToken)).Trim()}",
                DrErrorKind.InvalidOperation);
        }
    }

    /// <summary>Pauses (maintenance mode: no automatic failover) or resumes the cluster (PATCH /config).</summary>
    public async Task SetPausedAsync(bool paused, CancellationToken cancellationToken)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { pause = paused }), Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(BaseUrl, "config")) { Content = content };
        using var response = await SendAsync(() => Http.SendAsync(request, cancellationToken), "PATCH /config", cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new DrToolsException($"Patroni at {BaseUrl} refused to {(paused ? "pause" : "resume")}: {(int)response.StatusCode} "
                + $"{(await response.Content.ReadAsStringAsync(cancellationToken)).Trim()}", DrErrorKind.InvalidOperation);
        }
    }

    private async Task<JsonDocument> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => Http.GetAsync(new Uri(BaseUrl, path), cancellationToken), $"GET /{path}",
            cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new DrToolsException($"Patroni at {BaseUrl}: GET /{path} answered {(int)response.StatusCode} with something that is not "
                + $"JSON.", DrErrorKind.ConnectionFailed);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, string what,
        CancellationToken cancellationToken)
    {
        try
        {
            return await send();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own words ("An error occurred while sending the request") hide the socket's.
            var why = e.GetBaseException() is { } inner && inner != e ? $"{e.Message} ({inner.Message})" : e.Message;
            throw new DrToolsException($"Patroni at {BaseUrl} did not answer {what}: {why}", DrErrorKind.ConnectionFailed);
        }
    }

    private static string? Text(JsonElement element, string name) => element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
