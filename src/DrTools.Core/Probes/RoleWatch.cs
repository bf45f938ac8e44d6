using System.Collections.Concurrent;
using static DrTools.Core.Measurement;

namespace DrTools.Core.Probes;

/// <summary>
/// Asks every member its own role every <see cref="Interval"/> on the drill's clock, from before the fault until the
/// new topology holds: how two members acting as primary at once are seen, and when one alone is.
/// </summary>
internal sealed class RoleWatch : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentQueue<RoleRound> _rounds = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly MonotonicClock _clock;
    /// <summary>When the poll under way was sent (ticks on the drill's clock), or -1 between polls.</summary>
    private long _pollSent = -1;
    private Task? _loop;
    private int _disposed;

    private RoleWatch(MonotonicClock clock)
    {
        _clock = clock;
    }

    public IReadOnlyList<RoleRound> Rounds => _rounds.ToList();

    /// <param name="poll">Reads every member's own role once; a member that does not answer is read as null.</param>
    /// <param name="interval">How often; default <see cref="Interval"/>.</param>
    public static RoleWatch Start(Func<CancellationToken, Task<IReadOnlyList<RoleReading>>> poll, MonotonicClock clock,
        TimeSpan? interval = null)
    {
        var watch = new RoleWatch(clock);
        watch._loop = Task.Run(() => Pacing.RunAsync(1 / (interval ?? Interval).TotalSeconds, clock, watch._stop.Token, async () =>
        {
            var at = clock.Elapsed;
            Interlocked.Exchange(ref watch._pollSent, at.Ticks);
            try
            {
                watch._rounds.Enqueue(new RoleRound(at, await poll(watch._stop.Token)));
                Interlocked.Exchange(ref watch._pollSent, -1);
            }
            catch (Exception) when (watch._stop.IsCancellationRequested)
            {
                // stopped mid-poll: that round is not a reading
            }
            catch (Exception e)
            {
                watch._rounds.Enqueue(new RoleRound(at, [new RoleReading("the members", null, e.Message)]));
            }
        }));
        return watch;
    }

    /// <summary>
    /// The split brain as a drill figure: two members that said they were the primary at once are a failed drill (clients
    /// of the other one lose their writes), not met above 0 s.
    /// </summary>
    /// <param name="how">How the roles were read, e.g. "each member's own ROLE every 10ms from before the fault".</param>
    /// <param name="after">The topology the drill read once its probes stopped: two primaries there are a split brain the
    /// watch did not see end, whatever it saw before it stopped (an old primary back just after).</param>
    public static Measurement Figure(SplitBrainWindow? split, string how, Cluster.ClusterStatus after)
    {
        var primaries = after.Members.Where(m => m.Role == Cluster.MemberRole.Primary).Select(m => m.Display).ToList();
        var atEnd = primaries.Count > 1
            ? $"; when the drill read the topology after its probes stopped, {string.Join(" and ", primaries)} were primaries: "
                + "a split brain still going on"
            : "";
        return new Measurement("split brain (two members said they were the primary)", Math.Round(split?.Duration.TotalSeconds ?? 0, 3),
            "s", 0, $"{how} until the topology settled, on the drill's monotonic clock: "
            + (split is null
                ? "never two primaries at once while watched"
                : $"{string.Join(" and ", split.Members)} said they were the primary at once from +{Seconds(split.From)} s "
                    + (split.Ongoing ? $"and still at +{Seconds(split.To)} s, when the watch stopped" : $"to +{Seconds(split.To)} s"))
            + atEnd)
        {
            MoreThan = split?.Ongoing == true || primaries.Count > 1,
        };
    }

    /// <summary>The split brain the watch saw (null when no two members ever said they were the primary at once).</summary>
    public static SplitBrainWindow? SplitBrain(IReadOnlyList<RoleRound> rounds)
    {
        var split = rounds.Where(r => r.Primaries.Count > 1).ToList();
        if (split.Count == 0) return null;
        var after = rounds.FirstOrDefault(r => r.At > split[^1].At);
        return new SplitBrainWindow(split[0].At, after?.At ?? split[^1].At, split.SelectMany(r => r.Primaries).Distinct().Order().ToList())
        {
            Ongoing = after is null,
        };
    }

    /// <summary>
    /// Waits until the new topology holds: exactly one reachable member says it is the primary, every other reachable
    /// member says it is not, and <paramref name="readBack"/> (null when a write that member acknowledged was read back
    /// from it, else what is missing) agrees. Returns that member with what held the wait, from when to when. Once more
    /// than <paramref name="timeout"/> passed, returns <paramref name="expected"/> (the member the drill made the primary)
    /// with what never settled: the drill then FAILs on it, with the figures its probes measured.
    /// </summary>
    public async Task<SettledTopology> WaitSettledAsync(Func<string, CancellationToken, Task<string?>> readBack, string expected,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wait = new SettlingWait(_clock);
        var asked = _clock.Elapsed;
        string? primary = null;
        while (true)
        {
            var at = _clock.Elapsed;
            var unsettled = await UnsettledAsync(readBack, p => primary = p, asked, cancellationToken);
            wait.Saw(unsettled, at);
            if (unsettled is null) return wait.Settled(primary!);
            if (_clock.Elapsed - wait.Began > timeout) return wait.NeverSettled(expected, unsettled, timeout);
            await Task.Delay(Interval, cancellationToken);
        }
    }

    /// <summary>
    /// What the latest round and the read-back say is missing, or null once the topology holds. Only a round sent once the
    /// wait began (<paramref name="since"/>) can settle it: a poll slowed on a busy machine can leave the latest round one
    /// sent before a switchover, in which the old primary alone said it was one; a drill settled on it read its probe rows
    /// there and reported no lost write while the new primary lacked acknowledged ones (a Sentinel switchover in CI).
    /// </summary>
    private async Task<string?> UnsettledAsync(Func<string, CancellationToken, Task<string?>> readBack, Action<string> primary,
        TimeSpan since, CancellationToken cancellationToken)
    {
        var latest = _rounds.LastOrDefault();
        if (latest is null) return "no member was asked its role yet";
        var primaries = latest.Primaries;
        var unreachable = latest.Readings.Where(r => r.Primary is null).Select(r => $"{r.Member} did not answer ({r.Error})").ToList();
        var also = unreachable.Count > 0 ? $"; {string.Join("; ", unreachable)}" : "";
        var missing = primaries.Count == 0 ? $"no member said it was the primary{also}"
            : primaries.Count > 1 ? $"{string.Join(" and ", primaries)} all said they were the primary{also}"
            : null;
        // A member left out of this round stands for its last failure: it may be up again, as a primary. The topology holds
        // only on a round that asked it (an old primary restarted meanwhile settled a drill beside a split brain).
        if (missing is null && latest.Readings.FirstOrDefault(r => r.Repeated) is { } repeated)
        {
            missing = $"{repeated.Member} not asked again yet since it failed ({repeated.Error})";
        }
        if (missing is null && latest.At < since)
        {
            missing = $"{primaries[0]} alone said it was the primary in the latest round, sent at +{Seconds(latest.At)} s, before the "
                + $"wait began{also}";
        }
        if (missing is null)
        {
            primary(primaries[0]);
            missing = await readBack(primaries[0], cancellationToken);
        }
        return missing is null ? null : missing + Stale(latest);
    }

    /// <summary>A poll under way for longer than this leaves the roles judged old: said with what is missing.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When the poll under way has gone on past <see cref="StaleAfter"/> (a member holds it past its own timeout), the roles
    /// judged are the last complete poll's: said, since they may be long out of date.
    /// </summary>
    private string Stale(RoleRound latest)
    {
        var sent = Interlocked.Read(ref _pollSent);
        if (sent < 0 || _clock.Elapsed - TimeSpan.FromTicks(sent) <= StaleAfter) return "";
        return $" (roles as read by the poll sent at +{Seconds(latest.At)} s: the next one, sent at "
            + $"+{Seconds(TimeSpan.FromTicks(sent))} s, had not completed, a member holding it past its timeout)";
    }

    /// <summary>Stops the watch (again is nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        Stopping.Stop(_stop);
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
