using DrTools.Core.Engines;
using DrTools.Core.Probes;

namespace DrTools.Core.Tests;

/// <summary>The role watch the replica-set and Sentinel drills settle on, reading a real Redis pair.</summary>
public sealed class RoleWatchTests
{
    /// <summary>
    /// A CI run of the Sentinel switchover reported no lost write while the new master lacked acknowledged ones: the
    /// settling judged the latest round, which a slow poll can leave as one sent before the switchover (the old master
    /// alone said it was the primary). Here the poll is held while node1 is promoted and node0 repointed to it.
    /// </summary>
    [Fact]
    public async Task A_role_round_sent_before_the_wait_began_never_settles_it()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 1);
        var cluster = (IReplicaSet)sandbox.Cluster;
        var (node0, node1) = ($"127.0.0.1:{sandbox.Members[0].Port}", $"127.0.0.1:{sandbox.Members[1].Port}");
        await using var roles = cluster.Roles();
        var clock = new MonotonicClock();
        var held = 0;
        using var release = new SemaphoreSlim(0);
        await using var watch = RoleWatch.Start(async token =>
        {
            if (Volatile.Read(ref held) == 1)
            {
                Interlocked.Exchange(ref held, 2);
                await release.WaitAsync(token);
            }
            return await roles.ReadAsync(token);
        }, clock);
        await Polling.RequireAsync(() => Task.FromResult(watch.Rounds.Count > 0), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5),
            () => "no role round", CancellationToken.None);
        Interlocked.Exchange(ref held, 1);
        await Polling.RequireAsync(() => Task.FromResult(Volatile.Read(ref held) == 2), TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(5), () => "the poll was not held", CancellationToken.None);
        Assert.Equal([node0], watch.Rounds[^1].Primaries);

        await cluster.PromoteAsync("node1", CancellationToken.None);
        await cluster.RepointAsync("node0", "node1", CancellationToken.None);
        var settling = watch.WaitSettledAsync((_, _) => Task.FromResult<string?>(null), node1, TimeSpan.FromSeconds(10),
            CancellationToken.None);
        await Task.Delay(300);
        if (settling.IsCompleted) Assert.Fail($"settled on {(await settling).Primary} from a round sent before the wait began");
        release.Release();
        Assert.Equal(node1, (await settling).Primary);
    }
}
