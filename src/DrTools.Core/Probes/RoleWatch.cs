using System.Collections.Concurrent;

namespace DrTools.Core.Probes;

/// <summary>What one member said of its own role at one poll: primary or not, or null (with why) when it did not answer.</summary>
public sealed record RoleReading(string Member, bool? Primary, string? Error);

/// <summary>One poll of every member, at the moment it was sent on the drill's clock.</summary>
public sealed record RoleRound(TimeSpan At, IReadOnlyList<RoleReading> Readings)
{
    public IReadOnlyList<string> Primaries => Readings.Where(r => r.Primary == true).Select(r => r.Member).ToList();
}

/// <summary>
/// From the first poll at which two or more members said they were the primary to the first poll after the last such one.
/// </summary>
public sealed record SplitBrainWindow(TimeSpan From, TimeSpan To, IReadOnlyList<string> Members)
{
    public TimeSpan Duration => To - From;
}

/// <summary>
/// Asks every member its own role every <see cref="Interval"/> on the drill's clock, from before the fault until the
/// new topology holds: how two members acting as primary at once are seen, and when one alone is.
/// </summary>
internal sealed class RoleWatch : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentQueue<RoleRound> _rounds = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    private RoleWatch()
    {
    }

    public IReadOnlyList<RoleRound> Rounds => _rounds.ToList();

    /// <param name="poll">Reads every member's own role once; a member that does not answer is read as null.</param>
    /// <param name="interval">How often; default <see cref="Interval"/>.</param>
    public static RoleWatch Start(Func<CancellationToken, Task<IReadOnlyList<RoleReading>>> poll, MonotonicClock clock,
        TimeSpan? interval = null)
    {
        var watch = new RoleWatch();
        watch._loop = Task.Run(() => Pacing.RunAsync(1 / (interval ?? Interval).TotalSeconds, clock, watch._stop.Token, async () =>
        {
            var at = clock.Elapsed;
            try
            {
                watch._rounds.Enqueue(new RoleRound(at, await poll(watch._stop.Token)));
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
    public static Measurement Figure(SplitBrainWindow? split, string how) => new(
        "split brain (two members said they were the primary)", Math.Round(split?.Duration.TotalSeconds ?? 0, 3), "s", 0,
        $"{how} until the topology settled, on the drill's monotonic clock: "
        + (split is null
            ? "never two primaries at once"
            : $"{string.Join(" and ", split.Members)} said they were the primary at once from +{Seconds(split.From)} s to "
                + $"+{Seconds(split.To)} s"));

    private static string Seconds(TimeSpan at) => Measurement.Format(Math.Round(at.TotalSeconds, 3));

    /// <summary>The split brain the watch saw (null when no two members ever said they were the primary at once).</summary>
    public static SplitBrainWindow? SplitBrain(IReadOnlyList<RoleRound> rounds)
    {
        var split = rounds.Where(r => r.Primaries.Count > 1).ToList();
        if (split.Count == 0) return null;
        var end = rounds.FirstOrDefault(r => r.At > split[^1].At)?.At ?? split[^1].At;
        return new SplitBrainWindow(split[0].At, end, split.SelectMany(r => r.Primaries).Distinct().Order().ToList());
    }

    /// <summary>
    /// Waits until the new topology holds: exactly one reachable member says it is the primary, every other reachable
    /// member says it is not, and <paramref name="readBack"/> (null when a write that member acknowledged was read back
    /// from it, else what is missing) agrees. Returns that member; FAILs naming what never settled after the timeout.
    /// </summary>
    public async Task<string> WaitSettledAsync(Func<string, CancellationToken, Task<string?>> readBack, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var unsettled = "no member was asked its role yet";
        string? primary = null;
        await Polling.RequireAsync(async () =>
        {
            var latest = _rounds.LastOrDefault();
            if (latest is null) return false;
            var primaries = latest.Primaries;
            var unreachable = latest.Readings.Where(r => r.Primary is null).Select(r => $"{r.Member} did not answer ({r.Error})").ToList();
            var also = unreachable.Count > 0 ? $"; {string.Join("; ", unreachable)}" : "";
            if (primaries.Count != 1)
            {
                unsettled = primaries.Count == 0
                    ? $"no member said it was the primary{also}"
                    : $"{string.Join(" and ", primaries)} all said they were the primary{also}";
                return false;
            }
            primary = primaries[0];
            unsettled = await readBack(primary, cancellationToken) ?? "";
            return unsettled.Length == 0;
        }, timeout, Interval, () => $"the topology never settled within {DurationText.Format(timeout)}: {unsettled}.", cancellationToken);
        return primary!;
    }

    /// <summary>Stops the watch (again is nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
