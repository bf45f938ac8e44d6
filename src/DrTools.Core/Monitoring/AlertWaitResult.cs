namespace DrTools.Core.Monitoring;

/// <summary>
/// Whether an alert reached a state within its time: the time Alertmanager showed it so, and the time DrTools' receiver
/// got the notification (when it is the receiver), each from the start of the wait against the target.
/// </summary>
public sealed record AlertWaitResult(string Alert, AlertState State, IReadOnlyDictionary<string, string> Labels, DateTimeOffset StartedAt,
    Measurement InAlertmanager, Measurement? Notified)
{
    /// <summary>Why it was not met: the rule's state and the last value Prometheus saw, or that no such rule exists.</summary>
    public string? Reason { get; init; }

    /// <summary>When Alertmanager showed it so and when the notification arrived, as Stopwatch timestamps: a drill places them on its own
    /// clock.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public (long? Shown, long? Notified) Moments { get; init; }
    public bool Met => InAlertmanager.Met == true && Notified?.Met != false;

    public override string ToString() => Met
        ? $"{Alert} {State.ToString().ToLowerInvariant()} after {Measurement.Format(InAlertmanager.Measured)} s in "
            + $"Alertmanager{(Notified is { } n ? $", notified after {Measurement.Format(n.Measured)} s" : "")}"
        : $"{Alert} not {State.ToString().ToLowerInvariant()} within {Measurement.Format(InAlertmanager.Target ?? 0)} s: {Reason}";
}
