namespace DrTools.Core.Patroni;

/// <summary>Which servers HAProxy routes a listener's connections to, from its statistics page (CSV).</summary>
public static class HaproxyStats
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The servers of <paramref name="listener"/> HAProxy has UP, or null when its statistics page does not answer.</summary>
    public static async Task<IReadOnlyList<string>?> UpServersAsync(Uri statsCsv, string listener, CancellationToken cancellationToken)
    {
        string csv;
        try
        {
            csv = await Http.GetStringAsync(statsCsv, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) return null;
        var header = lines[0].TrimStart('#', ' ').Split(',');
        int Column(string name) => Array.IndexOf(header, name);
        var (proxy, server, status) = (Column("pxname"), Column("svname"), Column("status"));
        return lines.Skip(1).Select(line => line.Split(','))
            .Where(fields => fields.Length > status && fields[proxy] == listener && fields[server] is not ("FRONTEND" or "BACKEND")
                && fields[status].StartsWith("UP", StringComparison.Ordinal))
            .Select(fields => fields[server]).ToList();
    }
}
