using DrTools.Core.Postgres;

namespace DrTools.Core.Failover;

/// <summary>The physical replication slots a drill maintains while it re-points and rejoins members.</summary>
internal static class ReplicationSlots
{
    public static Task EnsureAsync(DbMember primary, string slot, CancellationToken cancellationToken) =>
        primary.ExecuteAsync($"select pg_create_physical_replication_slot('{slot}', true) where not exists (select from "
            + $"pg_replication_slots where slot_name = '{slot}')", cancellationToken);

    /// <summary>
    /// Slots a rejoined old primary kept from its time as primary are stale on a standby: they hold WAL back, and would
    /// show as inactive the day it is promoted again.
    /// </summary>
    public static Task DropInactiveAsync(DbMember standby, CancellationToken cancellationToken) =>
        standby.ExecuteAsync("select count(pg_drop_replication_slot(slot_name)) from pg_replication_slots where not active",
            cancellationToken);
}
