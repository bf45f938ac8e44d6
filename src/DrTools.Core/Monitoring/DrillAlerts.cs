using System.Diagnostics;
using DrTools.Core.Failover;

namespace DrTools.Core.Monitoring;

/// <summary>
/// Watches the expected alert through a drill: time to alert (the fault to firing in Alertmanager, and to DrTools'
/// receiver getting the notification) and, once the drill recovered, time to resolve — each placed on the drill's
/// clock, with the alert's moments on its timeline. An alert that never fired fails the drill, naming its rule.
/// </summary>
internal static class DrillAlerts
{
    public static async Task<FailoverResult> WatchAsync(AlertExpectation expect, FailoverOptions options, Func<FailoverOptions,
        CancellationToken, Task<FailoverResult>> drill, CancellationToken cancellationToken)
    {
        var clock = new MonotonicClock();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Watched from the drill's start, as long as the drill may take to reach its fault and the alert its time after.
        var firing = AlertWatch.WaitAsync(expect.Sources, new AlertWaitOptions(expect.Name) { Labels = expect.Labels, Within = expect.Within
            + TimeSpan.FromMinutes(10) }, stop.Token, clock);
        FailoverResult result;
        try
        {
            // A rejoin before the alert fired would end the very outage it is to report.
            result = await drill(options with { BeforeRejoin = async token =>
            {
                if (await Task.WhenAny(firing, Task.Delay(expect.Within,
                    token)) != firing) return $"{DurationText.Format(expect.Within)}; {expect.Name} had not fired";
                return firing.IsCompletedSuccessfully ? $"until {expect.Name} fired"
                    : $"not at all: {expect.Name} could not be watched ({firing.Exception?.InnerException?.Message})";
            } }, cancellationToken);
        }
        catch
        {
            await stop.CancelAsync();
            // The drill's own failure is the one to report, not the watch's (an unreachable Alertmanager, say).
            try { await firing; } catch (Exception e) when (e is OperationCanceledException or DrToolsException) { }
            throw;
        }
        var fault = Failover.Timeline.Start(result.Timeline)?.At ?? TimeSpan.Zero;
        TimeSpan OnDrill(long timestamp) => Stopwatch.GetElapsedTime(result.ClockOrigin, timestamp);
        // The watch goes on until the alert fires or its time after the fault is up.
        var deadline = result.ClockOrigin + (long)((fault + expect.Within).TotalSeconds * Stopwatch.Frequency);
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (remaining > TimeSpan.Zero) await Task.WhenAny(firing, Task.Delay(remaining, cancellationToken));
        await stop.CancelAsync();
        AlertWaitResult? fired = null;
        string? unreadable = null;
        try
        {
            fired = await firing;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Its time after the fault is up: what Prometheus has of the rule is read below.
        }
        catch (DrToolsException e)
        {
            // Alertmanager or Prometheus unreachable: the alert is not measured; the drill's own figures still are.
            unreadable = e.Message;
        }

        var events = result.Timeline.ToList();
        var figures = new List<Measurement>();
        var target = expect.Within.TotalSeconds;
        var method = $"from the fault to Alertmanager showing {expect.Name} firing (its API polled every 100 ms), on the drill's monotonic "
            + $"clock";
        if (fired?.Moments.Shown is { } shown && OnDrill(shown) - fault <= expect.Within)
        {
            events.Add(Event(result, $"alert {expect.Name} firing in Alertmanager", OnDrill(shown), string.Join(", ",
                fired.Labels.Where(l => l.Key is not ("alertname")).Select(l => $"{l.Key}={l.Value}"))));
            figures.Add(new Measurement($"time to alert ({expect.Name}, Alertmanager)", Math.Round((OnDrill(shown) - fault).TotalSeconds,
                3), "s", target, method));
            if (fired.Moments.Notified is { } notified)
            {
                events.Add(Event(result, $"alert {expect.Name} notification received", OnDrill(notified), "by DrTools' receiver"));
                figures.Add(new Measurement($"time to alert ({expect.Name}, notification)",
                    Math.Round((OnDrill(notified) - fault).TotalSeconds, 3), "s", target,
                    "from the fault to DrTools' receiver getting Alertmanager's notification (stamped as it arrived), on the drill's "
                        + "clock"));
            }
        }
        else
        {
            var late = fired?.Moments.Shown is { } shownLate ? OnDrill(shownLate) - fault : (TimeSpan?)null;
            var why = late is { } after ? $"it fired {Measurement.Format(Math.Round(after.TotalSeconds, 3))} s after the fault"
                : unreadable ?? fired?.Reason ?? await NowAsync(expect, AlertState.Firing, cancellationToken);
            figures.Add(new Measurement($"time to alert ({expect.Name}, Alertmanager)", Math.Round((late ?? expect.Within
                + TimeSpan.FromMilliseconds(1)).TotalSeconds, 3), "s", target,
                $"{method}; NOT firing within {DurationText.Format(expect.Within)} of the fault: {why}"));
            return result with { Timeline = [.. events.OrderBy(e => e.At)], AlertFigures = figures };
        }

        var recovered = result.Timeline.FirstOrDefault(e => e.Name == "first write acknowledged after the outage")?.At ?? result.Duration;
        AlertWaitResult? resolve;
        try
        {
            resolve = await AlertWatch.WaitAsync(expect.Sources, new AlertWaitOptions(expect.Name) { Labels = expect.Labels,
                State = AlertState.Resolved, Within = expect.Within }, cancellationToken);
        }
        catch (DrToolsException e)
        {
            resolve = null;
            unreadable = e.Message;
        }
        if (resolve is { Met: true, Moments.Shown: { } resolvedAt })
        {
            events.Add(Event(result, $"alert {expect.Name} resolved in Alertmanager", OnDrill(resolvedAt), null));
            figures.Add(new Measurement($"time to resolve ({expect.Name})", Math.Round((OnDrill(resolvedAt) - recovered).TotalSeconds, 3),
                "s", null,
                "from the first write acknowledged after the outage to Alertmanager no longer showing the alert, on the drill's clock"));
        }
        else
        {
            figures.Add(new Measurement($"time to resolve ({expect.Name})",
                Math.Round((OnDrill(Stopwatch.GetTimestamp()) - recovered).TotalSeconds, 3), "s", null,
                $"NOT resolved within {DurationText.Format(expect.Within)} after the drill: {resolve?.Reason ?? unreadable} "
                    + "(lower bound)"));
        }
        return result with { Timeline = [.. events.OrderBy(e => e.At)], AlertFigures = figures };
    }

    /// <summary>Why the alert is not in the state now, as one more reading of Alertmanager and Prometheus gives it.</summary>
    private static async Task<string?> NowAsync(AlertExpectation expect, AlertState state, CancellationToken cancellationToken)
    {
        try
        {
            return (await AlertWatch.WaitAsync(expect.Sources, new AlertWaitOptions(expect.Name) { Labels = expect.Labels, State = state,
                Within = TimeSpan.Zero }, cancellationToken)).Reason;
        }
        catch (DrToolsException e)
        {
            return e.Message;
        }
    }

    private static DrillEvent Event(FailoverResult result, string name, TimeSpan at, string? detail) => new(name, at, result.StartedAt + at,
        detail);
}
