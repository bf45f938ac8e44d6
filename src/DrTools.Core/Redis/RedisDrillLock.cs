using System.Globalization;
using DrTools.Core.Failover;

namespace DrTools.Core.Redis;

/// <summary>
/// The drill lock of a Redis cluster that is not a sandbox: a lease (SET NX PX) on the member that accepts writes,
/// renewed while the drill runs on whichever member accepts writes then (the key replicates, so it survives a
/// failover). A killed holder stops renewing and its lease expires.
/// </summary>
internal static class RedisDrillLock
{
    private const string Key = RedisCluster.KeyPrefix + "drill-lock";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(3);

    // Renews our lease, or takes it again where it is missing (a failover to a replica that had not received it).
    private const string Renew = """
        local holder = redis.call('get', KEYS[1])
        if holder == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
        if not holder then redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2]) return 1 end
        return 0
        """;
    private const string Release = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

    public static async Task<IAsyncDisposable> AcquireAsync(RedisCluster cluster, string holder, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var member in cluster.Members)
        {
            try
            {
                var lease = ((long)Lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                if (await member.CommandAsync(cancellationToken, "SET", Key, holder, "NX", "PX", lease) is not null)
                {
                    return new Held(cluster, holder);
                }
                var other = await member.CommandAsync(cancellationToken, "GET", Key);
                throw DrillLock.Refused(cluster, $"{other ?? "a drill whose lease has just ended"}, a lease on {member.Display}");
            }
            catch (DrToolsException e)
                when (e.Kind is DrErrorKind.ConnectionFailed || e.Message.Contains("READONLY", StringComparison.Ordinal))
            {
                errors.Add(e.Message);
            }
        }
        throw DrToolsException.Refused(
            $"drill on {cluster.Name} refused: no member accepted the drill lock's lease ({string.Join("; ", errors)})",
            DrErrorKind.ConnectionFailed);
    }

    private sealed class Held : IAsyncDisposable
    {
        private readonly RedisCluster _cluster;
        private readonly string _holder;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _renewing;

        public Held(RedisCluster cluster, string holder)
        {
            (_cluster, _holder) = (cluster, holder);
            _renewing = RenewAsync(_stop.Token);
        }

        private async Task RenewAsync(CancellationToken stop)
        {
            var lease = ((long)Lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Renewal, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                await OnEveryMemberAsync(Renew, lease, stop);
            }
        }

        /// <summary>Runs a script on every member: the one that accepts writes acts, the others refuse or do not answer.</summary>
        private Task OnEveryMemberAsync(string script, string argument, CancellationToken cancellationToken) =>
            Task.WhenAll(_cluster.Members.Select(async member =>
            {
                try
                {
                    await member.CommandAsync(cancellationToken, "EVAL", script, "1", Key, _holder, argument);
                }
                catch (DrToolsException)
                {
                    // A replica refuses the write; a killed member does not answer.
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
            }));

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _renewing;
            await OnEveryMemberAsync(Release, "", CancellationToken.None);
            _stop.Dispose();
        }
    }
}
