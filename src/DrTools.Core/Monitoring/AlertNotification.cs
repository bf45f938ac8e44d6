namespace DrTools.Core.Monitoring;

/// <summary>A notification DrTools' receiver got from Alertmanager, with when it arrived (UTC, the receiver's clock).</summary>
public sealed record AlertNotification(DateTimeOffset ReceivedAt, string Status, string Receiver, IReadOnlyList<DeliveredAlert> Alerts);
