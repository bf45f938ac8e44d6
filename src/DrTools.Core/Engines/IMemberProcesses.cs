namespace DrTools.Core.Engines;

/// <summary>
/// The server processes of a cluster's members on this machine, which a drill may kill and start again: a sandbox's.
/// A cluster given by connection strings has none, and its unplanned drills are refused.
/// </summary>
public interface IMemberProcesses
{
    /// <summary>The PID of the member's server, if it is alive (not a zombie).</summary>
    int? Pid(string member);

    /// <summary>SIGKILL of the member's server; returns a detail for the timeline.</summary>
    Task<string> KillAsync(string member, CancellationToken cancellationToken);

    /// <summary>Starts the member's server as it was configured and waits until it answers.</summary>
    Task StartAsync(string member, CancellationToken cancellationToken);
}
