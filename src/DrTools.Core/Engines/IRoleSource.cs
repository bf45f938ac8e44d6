using DrTools.Core.Probes;

namespace DrTools.Core.Engines;

/// <summary>
/// Every member's own role, on one connection per member kept open between polls (opened again after a failure): what a
/// drill's role watch asks every few milliseconds. A new connection and a full status for every poll cost the drill its
/// speed on a small machine.
/// </summary>
public interface IRoleSource : IAsyncDisposable
{
    /// <summary>Every member's role now, each reading named by the member's endpoint; a member that does not answer, null.</summary>
    Task<IReadOnlyList<RoleReading>> ReadAsync(CancellationToken cancellationToken);
}
