namespace DrTools.Core.Monitoring;

/// <summary>The part of Alertmanager's API v2 a drill reads: the alerts active now.</summary>
public static class Alertmanager
{
    /// <summary>Active, unsilenced alerts named <paramref name="name"/> whose labels include <paramref name="labels"/>, with when each
    /// started.</summary>
    public static async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, DateTimeOffset StartsAt)>> ActiveAsync(
        Uri alertmanager, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        using var alerts = await Prometheus.GetAsync(alertmanager,
            $"api/v2/alerts?active=true&silenced=false&inhibited=false&filter={Uri.EscapeDataString($"alertname=\"{name}\"")}",
            cancellationToken, "Alertmanager");
        return alerts.RootElement.EnumerateArray()
            .Select(a => (Labels: Prometheus.Labels(a.GetProperty("labels")), StartsAt: a.GetProperty("startsAt").GetDateTimeOffset()))
            .Where(a => labels.All(l => a.Labels.GetValueOrDefault(l.Key) == l.Value)).ToList();
    }
}
