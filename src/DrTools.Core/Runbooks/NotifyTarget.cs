namespace DrTools.Core.Runbooks;

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
