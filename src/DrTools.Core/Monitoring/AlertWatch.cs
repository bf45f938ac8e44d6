using DrTools.Core.Sandboxes;

namespace DrTools.Core.Monitoring;

public enum AlertState { Firing, Resolved }

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

public sealed record AlertWaitOptions(string Name)
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public AlertState State { get; init; } = AlertState.Firing;
    public TimeSpan Within { get; init; } = TimeSpan.FromSeconds(60);
}

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

/// <summary>Waits for an alert to fire (or resolve): Alertmanager polled every 100 ms, DrTools' receiver read as it writes.</summary>
public static class AlertWatch
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public static async Task<AlertWaitResult> WaitAsync(AlertSources sources, AlertWaitOptions options, CancellationToken cancellationToken,
        MonotonicClock? clock = null)
    {
        var alertmanager = sources.Alertmanager
            ?? throw new DrToolsException("waiting for an alert needs Alertmanager: give -Alertmanager URL, or a monitoring sandbox.",
            DrErrorKind.InvalidArgument);
        clock ??= new MonotonicClock();
        var started = clock.Elapsed;
        var startedAt = clock.WallTime(started);
        var inbox = sources.Inbox is null ? null : new AlertInbox(sources.Inbox);
        TimeSpan? shown = null, notified = null;
        var labels = options.Labels;
        // An alert that is not firing when a wait for its resolution starts is resolved already, and no notification is due.
        var notificationDue = inbox is not null;
        var first = true;
        while (clock.Elapsed - started <= options.Within)
        {
            if (shown is null)
            {
                var active = await Alertmanager.ActiveAsync(alertmanager, options.Name, options.Labels, cancellationToken);
                if (first && options.State == AlertState.Resolved && active.Count == 0) notificationDue = false;
                if (options.State == AlertState.Firing ? active.Count > 0 : active.Count == 0)
                {
                    shown = clock.Elapsed - started;
                    if (active.Count > 0) labels = active[0].Labels;
                }
            }
            first = false;
            if (notificationDue && notified is null && Delivered(inbox!, options,
                startedAt) is { } receivedAt) notified = receivedAt - startedAt;
            if (shown is not null && (!notificationDue || notified is not null)) break;
            await Task.Delay(Poll, cancellationToken);
        }
        var state = options.State.ToString().ToLowerInvariant();
        var target = options.Within.TotalSeconds;
        var method = $"Alertmanager's API v2 polled every {DurationText.Format(Poll)} from the start of the wait "
            + $"({startedAt:HH:mm:ss.fff}Z) on one monotonic clock";
        var inAlertmanager = new Measurement($"time to {state} in Alertmanager", Math.Round((shown ?? clock.Elapsed - started).TotalSeconds,
            3), "s", target, method);
        var delivery = !notificationDue ? null : new Measurement($"time to the {state} notification", Math.Round((notified
            ?? clock.Elapsed - started).TotalSeconds, 3), "s", target,
            "DrTools' receiver stamps each notification as it arrives (UTC); from the start of the wait");
        long? Timestamp(TimeSpan? offset) => offset is { } at ? clock.Origin + (long)((started
            + at).TotalSeconds * System.Diagnostics.Stopwatch.Frequency) : null;
        var result = new AlertWaitResult(options.Name, options.State, labels, startedAt, inAlertmanager,
            delivery) { Moments = (Timestamp(shown), Timestamp(notified)) };
        return result.Met ? result : result with { Reason = await WhyNotAsync(sources, options, shown is not null, cancellationToken) };
    }

    /// <summary>When DrTools' receiver got a notification of the alert in the state waited for, after the wait began.</summary>
    private static DateTimeOffset? Delivered(AlertInbox inbox, AlertWaitOptions options, DateTimeOffset since) =>
        inbox.Read().Where(n => n.ReceivedAt >= since)
            .FirstOrDefault(n => n.Alerts.Any(a => a.Name == options.Name && a.Status == (options.State == AlertState.Firing ? "firing"
                : "resolved") && options.Labels.All(l => a.Labels.GetValueOrDefault(l.Key) == l.Value)))
            ?.ReceivedAt;

    /// <summary>
    /// What a threshold rule compares (pg_up of "pg_up == 0 or …", lag of "lag > 1e6"): when the rule's expression
    /// yields nothing, its value is what a reader needs to see.
    /// </summary>
    private static string? Measured(string query)
    {
        var first = System.Text.RegularExpressions.Regex.Split(query, @"\s+(?:or|and|unless)\s+")[0];
        var match = System.Text.RegularExpressions.Regex.Match(first, @"^(?<left>.+?)\s*(==|!=|>=|<=|>|<)\s*[-+0-9.eE]+$");
        return match.Success ? match.Groups["left"].Value.Trim() : null;
    }

    /// <summary>The rule behind the alert as Prometheus has it now, with the value its expression last gave.</summary>
    private static async Task<string> WhyNotAsync(AlertSources sources, AlertWaitOptions options, bool shownInAlertmanager,
        CancellationToken cancellationToken)
    {
        var state = options.State.ToString().ToLowerInvariant();
        if (shownInAlertmanager) return $"Alertmanager showed it {state}, but DrTools' receiver got no {state} notification of it";
        if (sources.Prometheus is not { } prometheus) return "Alertmanager never showed it so (give -Prometheus to see the rule behind it)";
        try
        {
            var rules = await Prometheus.RulesAsync(prometheus, cancellationToken);
            if (rules.FirstOrDefault(r => r.Name == options.Name) is not { } rule)
            {
                return $"Prometheus has no alerting rule '{options.Name}' (rules: "
                    + $"{(rules.Count == 0 ? "none" : string.Join(", ", rules.Select(r => r.Name)))})";
            }
            var series = await Prometheus.QueryAsync(prometheus, rule.Query, cancellationToken);
            var measured = Measured(rule.Query);
            var values = series.Count > 0 || measured is null ? series : await Prometheus.QueryAsync(prometheus, measured,
                cancellationToken);
            var seen = values.Count == 0 ? "its expression returns no series now"
                : $"{(series.Count > 0 ? "its expression" : measured)} is "
                    + string.Join(", ", values.Take(4).Select(s => $"{s.Value} for {{{SeriesLabels(s.Labels)}}}"));
            return $"rule '{rule.Name}' ({rule.Query}, for {rule.Duration}) is {rule.State} in "
                + $"Prometheus{(rule.LastError is null ? "" : $", last error: {rule.LastError}")}; {seen}";
        }
        catch (DrToolsException e)
        {
            return e.Message;
        }
    }

    /// <summary>A series' own labels, without those every series of the sandbox has.</summary>
    private static string SeriesLabels(IReadOnlyDictionary<string, string> labels) => string.Join(",",
        labels.Where(l => l.Key is not ("__name__" or "job" or "instance" or "sandbox")).Select(l => $"{l.Key}=\"{l.Value}\""));
}
