using DrTools.Core.Sandboxes;

namespace DrTools.Core.Monitoring;

/// <summary>Where alerts are read: Prometheus (rules), Alertmanager (active alerts) and, for a monitoring sandbox, DrTools' own
/// receiver.</summary>
public sealed record AlertSources(Uri? Prometheus, Uri? Alertmanager, string? Inbox)
{
    /// <summary>A monitoring sandbox's stack, or the user's own Prometheus and Alertmanager by URL (which override a sandbox's).</summary>
    public static AlertSources Resolve(Sandbox? sandbox, string? prometheus, string? alertmanager)
    {
        var own = sandbox is null || (prometheus is not null && alertmanager is not null) ? null : Of(sandbox);
        return new(Url(prometheus, "Prometheus") ?? own?.Prometheus, Url(alertmanager, "Alertmanager") ?? own?.Alertmanager, own?.Inbox);
    }

    private static Uri? Url(string? text, string what) => text is null ? null
        : Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url
        : throw new DrToolsException($"{what} '{text}': give its http(s) URL, e.g. http://127.0.0.1:9090.", DrErrorKind.InvalidArgument);

    public static AlertSources Of(Sandbox sandbox) => sandbox.Monitoring is { } monitoring
        ? new(monitoring.Prometheus, monitoring.Alertmanager, monitoring.Inbox)
        : throw new DrToolsException($"sandbox {sandbox.Id} has no monitoring: create it with New-DrSandbox -Monitoring (drtools sandbox "
            + $"up --monitoring), or give -Prometheus and -Alertmanager.", DrErrorKind.InvalidArgument);
}
