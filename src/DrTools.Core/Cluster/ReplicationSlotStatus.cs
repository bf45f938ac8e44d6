namespace DrTools.Core.Cluster;

public sealed record ReplicationSlotStatus(string Member, string SlotName, string SlotType, bool Active, string? RestartLsn,
    long? RetainedWalBytes, string? WalStatus);
