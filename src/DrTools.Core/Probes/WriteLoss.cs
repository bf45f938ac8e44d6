namespace DrTools.Core.Probes;

/// <summary>Acknowledged writes the new primary does not have: exact, by sequence number.</summary>
public sealed record WriteLoss(int Acknowledged, IReadOnlyList<long> LostSequences, TimeSpan Window, int UnacknowledgedButCommitted);
