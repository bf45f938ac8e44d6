namespace DrTools.Core.Probes;

/// <summary>One open client connection of a probe.</summary>
public interface IProbeSession : IAsyncDisposable
{
    /// <summary>Where the session is connected, named when an attempt on it fails.</summary>
    string? Host { get; }
    /// <summary>
    /// One attempt (a write of <paramref name="sequence"/>, or a read of the run's newest sequences); returns the server
    /// that answered as it names itself, which through a proxy is not the host connected to: how two servers
    /// acknowledging writes at once (split brain) are seen.
    /// </summary>
    Task<ProbeAnswer> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken);
}
