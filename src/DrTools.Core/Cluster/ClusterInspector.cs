using System.Net;
using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Cluster;

/// <summary>Asks every member of a cluster what it is, concurrently, and judges the cluster as a whole.</summary>
public static class ClusterInspector
{
    /// <summary>One WAL sender on the primary; ReplyAge is how long ago its standby last replied (reply_time, server clock).</summary>
    private sealed record WalSender(string ApplicationName, string? SlotName, string State, string SyncState, double? ReplyAge);

    /// <summary>
    /// A standby replies at least every wal_receiver_status_interval; one silent for that plus this long is stuck (its
    /// WAL receiver not running), whatever its sender's state still says.
    /// </summary>
    internal static readonly TimeSpan ReplyMargin = TimeSpan.FromSeconds(5);

    private sealed record Snapshot(MemberStatus Status, IReadOnlyList<WalSender> Senders, IReadOnlyList<ReplicationSlotStatus> Slots,
        string? ReceiverSlot, string? ClusterName)
    {
        /// <summary>On a primary: synchronous_standby_names, when synchronous_commit makes commits wait for it.</summary>
        public string? WaitsFor { get; init; }

        /// <summary>On a standby: wal_receiver_status_interval, in seconds (0: replies only when it receives).</summary>
        public int? ReplyInterval { get; init; }

        /// <summary>On a standby: its WAL replay is paused (pg_wal_replay_pause), so its data stays where it paused.</summary>
        public bool ReplayPaused { get; init; }

        /// <summary>Where its timeline branched off the earlier ones (<see cref="TimelineHistory"/>); null on timeline 1.</summary>
        public TimelineHistory? History { get; init; }
    }

    /// <summary>The named member, or the cluster's one primary when none is named.</summary>
    public static async Task<DbMember> MemberOrPrimaryAsync(DbTarget target, string? member, string purpose,
        CancellationToken cancellationToken)
    {
        if (member is not null) return target.Member(member);
        if (target.Members.Count == 1) return target.Members[0];
        var status = await GetStatusAsync(target, cancellationToken);
        var primary = status.Primary
            ?? throw new DrToolsException($"{target.Name}: no single primary to {purpose} ({status.Verdict}); name the member to use.",
            DrErrorKind.InvalidOperation);
        return target.Member(primary.Name);
    }

    public static async Task<ClusterStatus> GetStatusAsync(DbTarget target, CancellationToken cancellationToken)
    {
        var checkedAt = DateTimeOffset.UtcNow;
        var snapshots = await Task.WhenAll(target.Members.Select(member => InspectAsync(member, cancellationToken)));
        var problems = new List<string>();
        foreach (var unreachable in snapshots.Where(s => s.Status.Role == MemberRole.Unreachable))
        {
            problems.Add($"{unreachable.Status.Display}: unreachable: {unreachable.Status.Error}");
        }

        var primaries = snapshots.Where(s => s.Status.Role == MemberRole.Primary).ToList();
        var reachable = snapshots.Count(s => s.Status.Role != MemberRole.Unreachable);
        if (primaries.Count == 0 && reachable > 0) problems.Add($"no primary: none of the {reachable} reachable member(s) accepts writes");
        if (primaries.Count > 1) problems.Add($"{primaries.Count} primaries (split brain): "
            + $"{string.Join(", ", primaries.Select(p => p.Status.Display))}");

        foreach (var paused in snapshots.Where(s => s.ReplayPaused))
        {
            problems.Add($"standby {paused.Status.Display} has its WAL replay paused (pg_wal_replay_pause): it applies no WAL, so its "
                + $"data stays at {paused.Status.ReplayedLsn}; a pause DrTools holds is in drtools fault list, else resume it with "
                + "select pg_wal_replay_resume()");
        }
        var members = snapshots.Select(s => s.Status).ToList();
        var primary = primaries.Count == 1 ? primaries[0] : null;
        if (primary is not null)
        {
            for (var i = 0; i < members.Count; i++)
            {
                if (members[i].Role != MemberRole.Standby) continue;
                var (judged, problem) = JudgeStandby(snapshots[i], primary);
                members[i] = judged;
                if (problem is not null) problems.Add(problem);
            }
            if (BlockedCommits(primary) is { } blocked) problems.Add(blocked);
            foreach (var slot in primary.Slots)
            {
                if (!slot.Active) problems.Add($"replication slot '{slot.SlotName}' on primary {primary.Status.Display} is inactive "
                    + $"(retains {slot.RetainedWalBytes?.ToString() ?? "no"} bytes of WAL)");
                else if (slot.WalStatus == "lost") problems.Add($"replication slot '{slot.SlotName}' on primary {primary.Status.Display} "
                    + $"has lost WAL its consumer needs");
            }
        }
        var manager = target.HaManager is { } haManager ? await haManager.InspectAsync(members, cancellationToken) : null;
        if (manager is not null) problems.AddRange(manager.Problems);
        return new ClusterStatus(target.Name, checkedAt, members, primary?.Slots ?? [], problems)
        {
            PositionName = "LSN", HaManager = manager,
        };
    }

    /// <summary>Synchronous replication that no connected standby can satisfy: every commit on the primary waits, with no limit.</summary>
    private static string? BlockedCommits(Snapshot primary)
    {
        var required = SyncStandbyNames.RequiredCount(primary.WaitsFor);
        var confirming = primary.Senders.Count(s => s.State == "streaming" && s.SyncState is "sync" or "quorum");
        return confirming >= required ? null
            : $"primary {primary.Status.Display} waits for {required} synchronous standby(s) (synchronous_standby_names = "
                + $"'{primary.WaitsFor}') but {confirming} can confirm commits: every commit blocks until one can";
    }

    private static (MemberStatus Status, string? Problem) JudgeStandby(Snapshot standby, Snapshot primary)
    {
        var status = standby.Status;
        var sender = primary.Senders.FirstOrDefault(s => standby.ReceiverSlot is not null && s.SlotName == standby.ReceiverSlot)
            ?? primary.Senders.FirstOrDefault(s => s.ApplicationName == (standby.ClusterName is { Length: > 0 } name ? name
                : "walreceiver"));
        status = status with { ApplicationName = sender?.ApplicationName, ReplicationState = sender?.State, SyncState = sender?.SyncState };
        if (Diverged(standby with { Status = status }, primary) is { } divergence)
        {
            return (status with { Divergence = divergence }, $"standby {status.Display} is {divergence}");
        }

        if (status.WalReceiverStatus != "streaming")
        {
            return (status, $"standby {status.Display} is not streaming (WAL receiver {status.WalReceiverStatus ?? "not running"})");
        }
        if (status.Upstream is { } upstream && !SameEndpoint(upstream, primary.Status.Endpoint))
        {
            return (status, $"standby {status.Display} streams from {upstream}, not from the primary {primary.Status.Display}");
        }
        if (sender is null)
        {
            return (status, $"primary {primary.Status.Display} has no WAL sender for standby {status.Display}");
        }
        if (sender.State != "streaming")
        {
            return (status, $"standby {status.Display} is in state '{sender.State}' on primary {primary.Status.Display}, not streaming");
        }
        return standby.ReplyInterval is > 0 and var interval && sender.ReplyAge > interval + ReplyMargin.TotalSeconds
            ? (status, $"standby {status.Display} last replied to primary {primary.Status.Display} "
                + $"{DurationText.Format(TimeSpan.FromSeconds(sender.ReplyAge.Value))} ago, though it replies every "
                + $"{DurationText.Format(TimeSpan.FromSeconds(interval))} (wal_receiver_status_interval): its WAL receiver is stuck")
            : (status, null);
    }

    /// <summary>
    /// A standby on a timeline later than the primary's followed a promotion the primary never saw; one whose timelines
    /// branched off elsewhere than the primary's (the same timeline number included) was promoted on its own; one on a
    /// timeline the primary left replayed past where it left it: what it has there the primary lacks, and no WAL distance
    /// measures how far apart they are.
    /// </summary>
    private static string? Diverged(Snapshot standby, Snapshot primary)
    {
        var (mine, theirs) = (standby.Status, primary.Status);
        if (mine.Timeline > theirs.Timeline)
        {
            return $"ahead of the primary on another timeline: it is on timeline {mine.Timeline} at {mine.ReplayedLsn}, "
                + $"the primary on timeline {theirs.Timeline} at {theirs.CurrentLsn}: diverged";
        }
        if (standby.History is not { } own || primary.History is not { } primarys) return null;
        if (own.SwitchPoints.Any(p => primarys.Until(p.Timeline) != p.Until))
        {
            return $"on a timeline {mine.Timeline} of its own: its history is {own}, the primary's {primarys}: diverged";
        }
        if (mine.Timeline >= theirs.Timeline || mine.Timeline is not { } timeline || mine.ReplayedLsn is not { } replayed) return null;
        return primarys.Until(timeline) is not { } left
            ? $"on timeline {timeline}, which the primary's history ({primarys}) does not pass through: diverged"
            : Lsn.Parse(replayed) > left
                ? $"past the point where the primary left timeline {timeline}: it replayed to {replayed} on it, the primary "
                    + $"left it at {left} (its history: {primarys}): diverged"
                : null;
    }

    private static async Task<Snapshot> InspectAsync(DbMember member, CancellationToken cancellationToken)
    {
        var status = new MemberStatus(member.Name, member.Endpoint, MemberRole.Unreachable);
        NpgsqlConnection connection;
        try
        {
            connection = await member.OpenAsync(cancellationToken);
        }
        catch (MemberException e)
        {
            return new Snapshot(status with { Error = e.Reason }, [], [], null, null);
        }
        await using (connection)
        {
            try
            {
                var snapshot = await QueryAsync(connection, status, member, cancellationToken);
                return snapshot with { History = await TimelineHistory.ReadAsync(connection, snapshot.Status.Timeline, cancellationToken) };
            }
            catch (Exception e) when (e is NpgsqlException && !cancellationToken.IsCancellationRequested)
            {
                return new Snapshot(status with { Error = member.Describe(e).Reason }, [], [], null, null);
            }
        }
    }

    private static async Task<Snapshot> QueryAsync(NpgsqlConnection connection, MemberStatus status, DbMember member,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            select pg_is_in_recovery(), current_setting('server_version'), current_setting('cluster_name'),
                   case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end,
                   case when pg_is_in_recovery() then null else pg_walfile_name(pg_current_wal_lsn()) end,
                   pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
                   (select timeline_id from pg_control_checkpoint()),
                   case when current_setting('synchronous_commit') in ('on', 'remote_write', 'remote_apply')
                        then nullif(current_setting('synchronous_standby_names'), '') end,
                   (select setting::int from pg_settings where name = 'wal_receiver_status_interval'),
                   pg_is_in_recovery() and pg_is_wal_replay_paused()
            """, connection);
        bool inRecovery;
        string? clusterName;
        string? waitsFor;
        int replyInterval;
        bool replayPaused;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            inRecovery = reader.GetBoolean(0);
            clusterName = reader.GetString(2);
            waitsFor = reader.IsDBNull(8) ? null : reader.GetString(8);
            replyInterval = reader.GetInt32(9);
            replayPaused = reader.GetBoolean(10);
            status = status with
            {
                Role = inRecovery ? MemberRole.Standby : MemberRole.Primary,
                ServerVersion = reader.GetString(1),
                CurrentLsn = reader.IsDBNull(3) ? null : reader.GetString(3),
                // The WAL file name starts with the timeline in hex: the current timeline even right after a promotion.
                Timeline = reader.IsDBNull(4) ? reader.GetInt32(7) : Convert.ToInt32(reader.GetString(4)[..8], 16),
                ReceivedLsn = reader.IsDBNull(5) ? null : reader.GetString(5),
                ReplayedLsn = reader.IsDBNull(6) ? null : reader.GetString(6),
            };
        }

        if (inRecovery)
        {
            await using var receiver = new NpgsqlCommand("select status, sender_host, sender_port, slot_name, received_tli from "
                + "pg_stat_wal_receiver", connection);
            await using var reader = await receiver.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new Snapshot(status, [], [], null, clusterName) { ReplyInterval = replyInterval, ReplayPaused = replayPaused };
            }
            status = status with
            {
                WalReceiverStatus = reader.GetString(0),
                Upstream = reader.IsDBNull(1) ? null : $"{reader.GetString(1)}:{reader.GetInt32(2)}",
                Timeline = reader.IsDBNull(4) ? status.Timeline : reader.GetInt32(4),
            };
            var slot = reader.IsDBNull(3) ? null : reader.GetString(3);
            return new Snapshot(status, [], [], slot, clusterName) { ReplyInterval = replyInterval, ReplayPaused = replayPaused };
        }

        var senders = new List<WalSender>();
        await using (var replication = new NpgsqlCommand("""
            select r.application_name, s.slot_name, r.state, r.sync_state, extract(epoch from now() - r.reply_time)::float8
            from pg_stat_replication r left join pg_replication_slots s on s.active_pid = r.pid
            """, connection))
        await using (var reader = await replication.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                senders.Add(new WalSender(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? "unknown" : reader.GetString(2), reader.IsDBNull(3) ? "unknown" : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetDouble(4)));
            }
        }
        var slots = new List<ReplicationSlotStatus>();
        await using (var slotQuery = new NpgsqlCommand("""
            select slot_name, slot_type, active, restart_lsn::text, wal_status,
                   case when restart_lsn is null then null else pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint end
            from pg_replication_slots order by slot_name
            """, connection))
        await using (var reader = await slotQuery.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                slots.Add(new ReplicationSlotStatus(member.Name, reader.GetString(0), reader.GetString(1), reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.IsDBNull(4)
                        ? null : reader.GetString(4)));
            }
        }
        return new Snapshot(status, senders, slots, null, clusterName) { WaitsFor = waitsFor };
    }

    /// <summary>host:port equality that knows localhost is the loopback address.</summary>
    internal static bool SameEndpoint(string a, string b)
    {
        static (string Host, string Port) Split(string endpoint)
        {
            var colon = endpoint.LastIndexOf(':');
            var host = endpoint[..colon].Trim('[', ']');
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) host = "127.0.0.1";
            return (IPAddress.TryParse(host, out var ip) ? (IPAddress.IsLoopback(ip) ? "loopback" : ip.ToString())
                : host.ToLowerInvariant(), endpoint[(colon + 1)..]);
        }
        return Split(a) == Split(b);
    }
}
