namespace DrTools.Core.Monitoring;

/// <summary>One alert of a notification as Alertmanager's webhook delivers it.</summary>
public sealed record DeliveredAlert(string Name, string Status, IReadOnlyDictionary<string, string> Labels, DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt);
