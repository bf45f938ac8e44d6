using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

/// <summary>What the repository's WAL archive holds from a starting point: how far it runs without a gap, and which segments are
/// missing.</summary>
public sealed record WalContinuity(Lsn ContiguousEnd, IReadOnlyList<string> MissingSegments, string? LastSegment);
