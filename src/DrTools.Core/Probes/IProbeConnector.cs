namespace DrTools.Core.Probes;

/// <summary>How a probe reaches a store: each engine's client path, opened again after every failed attempt.</summary>
public interface IProbeConnector
{
    /// <summary>How the probe connects, for reports (no password).</summary>
    string Path { get; }
    /// <summary>Set when the client's own settings can dominate an outage figure (see <see cref="Probe.ClientSettingsNote"/>).</summary>
    string? ClientSettingsNote { get; }
    /// <summary>What a write attempt does, for reports ("inserts into drtools_probe").</summary>
    string WriteStatement { get; }
    /// <summary>What a read attempt does, for reports.</summary>
    string ReadStatement { get; }
    /// <summary>Where the written sequences are kept, for reports.</summary>
    string ProbeData { get; }
    /// <summary>Whether the server refused the statement with an error that means it certainly did not take effect (read-only).</summary>
    bool Refused(Exception error);
    Task<IProbeSession> OpenAsync(CancellationToken cancellationToken);
}
