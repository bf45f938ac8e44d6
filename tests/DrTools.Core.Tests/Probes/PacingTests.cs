using DrTools.Core.Probes;

namespace DrTools.Core.Tests;

public sealed class PacingTests
{
    [Fact]
    public async Task An_attempt_that_overran_its_slot_is_followed_by_the_next_slot_of_its_grid_so_staggered_clients_stay_staggered()
    {
        // 5/s (a 200 ms grid) shifted by 50 ms; the first attempt takes 450 ms. Carrying on at once (at 500 ms) would put
        // this client 100 ms off its grid, onto another client's slots; the next slot of its own grid is 650 ms.
        var clock = new MonotonicClock();
        var starts = new List<TimeSpan>();
        using var stop = new CancellationTokenSource();
        var origin = clock.Elapsed;
        await Pacing.RunAsync(5, clock, stop.Token, async () =>
        {
            starts.Add(clock.Elapsed - origin);
            if (starts.Count == 1) await Task.Delay(450);
            if (starts.Count == 6) await stop.CancelAsync();
        }, phase: TimeSpan.FromMilliseconds(50));

        // The slot after the overrun is the grid's (a start is only ever late, never early: a busy machine wakes a timer late).
        var shown = string.Join(", ", starts.Select(s => $"{s.TotalMilliseconds:0}"));
        Assert.True(starts[1] >= TimeSpan.FromMilliseconds(640), shown);
        // Back on the grid after it: most starts within 40 ms of a slot.
        var onGrid = starts.Skip(1).Count(s => (s.TotalMilliseconds - 50) % 200 is < 40 or > 160);
        Assert.True(onGrid >= 3, shown);
    }
}
