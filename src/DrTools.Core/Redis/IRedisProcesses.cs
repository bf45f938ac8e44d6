using DrTools.Core.Engines;

namespace DrTools.Core.Redis;

/// <summary>A sandbox's redis-server processes: a drill kills one and starts it again, as a primary or as a replica of another
/// member.</summary>
public interface IRedisProcesses : IMemberProcesses
{
    /// <summary>Starts the member's server already replicating from <paramref name="primary"/>: it never serves writes of its
    /// own.</summary>
    Task StartAsReplicaAsync(string member, RedisMember primary, CancellationToken cancellationToken);
}
