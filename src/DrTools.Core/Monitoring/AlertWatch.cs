using DrTools.Core.Sandboxes;

namespace DrTools.Core.Monitoring;

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
