using DrTools.Core.Cluster;
using DrTools.Core.Postgres;

namespace DrTools.Core.Failover;

/// <summary>
/// The synchronous replication a drill found, carried over to the new primary: the same synchronous_standby_names with
/// the promoted standby's name replaced by the old primary's (which now streams from it). A rejoined old primary
/// connects under that name, so the setting keeps meaning what it meant; and a commit must then return, or the drill fails.
/// </summary>
internal sealed class SyncReplication
{
    private readonly string _standbyNames;
    private readonly string _synchronousCommit;
    private readonly Dictionary<string, string> _applicationNames;

    private SyncReplication(string standbyNames, string synchronousCommit, Dictionary<string, string> applicationNames)
    {
        _standbyNames = standbyNames;
        _synchronousCommit = synchronousCommit;
        _applicationNames = applicationNames;
    }

    /// <summary>
    /// Whether a commit on the old primary waited for <paramref name="standby"/> before it was acknowledged (by the
    /// primary's default synchronous_commit): one the standby lacks was then never acknowledged to such a client.
    /// </summary>
    public bool Protected(DbMember standby) => _synchronousCommit is "on" or "remote_write" or "remote_apply"
        && SyncStandbyNames.Names(_standbyNames, ApplicationName(standby));

    /// <summary>What <see cref="Protected"/> read, for the method text.</summary>
    public string Describe() => $"synchronous_standby_names '{_standbyNames}', synchronous_commit {_synchronousCommit}";

    /// <summary>The name a member streams (or will stream, once rejoined) under.</summary>
    public string ApplicationName(DbMember member) => _applicationNames[member.Name];

    /// <summary>Reads the primary's setting and every member's application name, before anything changes.</summary>
    public static async Task<SyncReplication> CaptureAsync(DbMember primary, IReadOnlyList<DbMember> standbys,
        CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string>();
        var setting = "";
        var synchronousCommit = await primary.QueryAsync("select current_setting('synchronous_commit')", r => r.GetString(0),
            cancellationToken);
        foreach (var member in standbys.Prepend(primary))
        {
            var (conninfo, clusterName,
                standbyNames) = await member.QueryAsync("select current_setting('primary_conninfo'), current_setting('cluster_name'), "
                + "current_setting('synchronous_standby_names')",
                r => (r.GetString(0), r.GetString(1), r.GetString(2)), cancellationToken);
            if (member == primary) setting = standbyNames;
            // As the WAL receiver connects: application_name from primary_conninfo, else cluster_name, else "walreceiver";
            // the primary, which has none, gets its cluster_name or a name from its endpoint when it rejoins.
            names[member.Name] = ConnInfo.Get(conninfo, "application_name") ?? (clusterName.Length > 0 ? clusterName : member == primary
                ? ConnInfo.SafeName(member.Name) : "walreceiver");
        }
        return new SyncReplication(setting, synchronousCommit, names);
    }

    /// <summary>
    /// Sets the carried-over synchronous_standby_names on the new primary (clearing a stale one it may carry), waits until
    /// enough standbys confirm commits, and proves a commit returns within <paramref name="bound"/>. When the standbys now
    /// following it cannot satisfy the setting (none left), it is left empty, so commits do not block, and that is returned as a note.
    /// </summary>
    public async Task<string?> RestoreAsync(DbMember newPrimary, DbMember oldPrimary, IReadOnlyList<DbMember> followers, TimeSpan bound,
        CancellationToken cancellationToken)
    {
        var setting = SyncStandbyNames.ReplaceName(_standbyNames, ApplicationName(newPrimary), ApplicationName(oldPrimary));
        var required = SyncStandbyNames.RequiredCount(setting);
        var able = followers.Count(f => SyncStandbyNames.Names(setting, ApplicationName(f)));
        string? note = null;
        if (able < required)
        {
            note = $"synchronous replication ('{_standbyNames}') suspended on {newPrimary.Display}: {able} of the {required} standby(s) it "
                + $"needs follow it, so synchronous_standby_names is left empty until they return";
            setting = "";
        }
        var current = await newPrimary.QueryAsync("select current_setting('synchronous_standby_names')", r => r.GetString(0),
            cancellationToken);
        if (current != setting)
        {
            await newPrimary.ExecuteAsync($"alter system set synchronous_standby_names = '{setting.Replace("'", "''")}'; select "
                + $"pg_reload_conf()", cancellationToken);
        }
        if (required > 0 && note is null)
        {
            // The reload is a signal: commits are synchronous again only once enough WAL senders say so.
            await Polling.RequireAsync(async ()
                => await newPrimary.QueryAsync("select count(*) from pg_stat_replication where state = 'streaming' and sync_state in "
                + "('sync', 'quorum')", r => r.GetInt64(0), cancellationToken) >= required,
                bound, TimeSpan.FromMilliseconds(20),
                ()
                    => $"synchronous replication on {newPrimary.Display} ('{setting}') had fewer than {required} confirming standby(s) "
                    + $"after {DurationText.Format(bound)}; commits there block", cancellationToken);
        }
        await RequireCommitReturnsAsync(newPrimary, setting, bound, cancellationToken);
        return note;
    }

    /// <summary>A transaction with an id must commit (and, when synchronous, be confirmed) within the bound.</summary>
    private static async Task RequireCommitReturnsAsync(DbMember primary, string setting, TimeSpan bound,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(bound);
        try
        {
            await primary.QueryAsync("select txid_current()", r => r.GetInt64(0), deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested
            && e is OperationCanceledException or DrToolsException)
        {
            throw new DrToolsException($"a commit on the new primary {primary.Display} did not return within {DurationText.Format(bound)} "
                + $"(synchronous_standby_names = '{setting}'): writes there block.", DrErrorKind.InvalidOperation);
        }
    }
}
