namespace DrTools.Core.Patroni;

/// <summary>A change of leader Patroni recorded (GET /history): the timeline that ended, where, why and when.</summary>
public sealed record PatroniHistoryEntry(int Timeline, long Lsn, string Reason, DateTimeOffset? At, string? NewLeader);
