namespace DrTools.Core.Monitoring;

/// <summary>The alerting rules a Prometheus evaluates, filtered by name.</summary>
public static class AlertRules
{
    public static async Task<IReadOnlyList<AlertRule>> ListAsync(AlertSources sources, string? name, CancellationToken cancellationToken)
    {
        var prometheus = sources.Prometheus
            ?? throw new DrToolsException("reading alerting rules needs Prometheus: give -Prometheus URL, or a monitoring sandbox.",
            DrErrorKind.InvalidArgument);
        var pattern = name is null ? null : new System.Text.RegularExpressions.Regex("^"
            + System.Text.RegularExpressions.Regex.Escape(name).Replace("\\*", ".*").Replace("\\?", ".")
            + "$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return (await Prometheus.RulesAsync(prometheus, cancellationToken)).Where(r => pattern?.IsMatch(r.Name) != false).ToList();
    }
}
