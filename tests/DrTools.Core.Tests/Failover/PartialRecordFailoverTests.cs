using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A primary that dies while one of its WAL records is being written: the standby has received the record's start, and
/// never its end. The drill waited for replay to reach the received position, which it never does, and failed after the
/// phase timeout ("node1 … did not stop receiving WAL within 60s (replayed to 0/4959FF0, received 0/495A000 …)", seen
/// under load with a record crossing a page).
/// </summary>
public sealed class PartialRecordFailoverTests
{
    [Fact]
    public async Task A_primary_killed_in_the_middle_of_a_record_is_failed_over_from_the_record_before_it()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        // The WAL writer flushes, and the WAL sender sends, every 10 ms what has been written of a record still being inserted.
        await Sql.ExecuteAsync(sandbox, "node0", "alter system set wal_writer_delay = '10ms'; select pg_reload_conf()");
        // The phase timeout bounds the fault too, and this one first waits for 8 MB of the record to reach the standby (2 s
        // here; a CI run under load took more than 30 s when the record was a string of 600 million single characters,
        // which alone took PostgreSQL 3 s to build).
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Failover, CheckIntegrity = false, PhaseTimeout = TimeSpan.FromSeconds(60),
        };
        var control = new KilledMidRecord(sandbox);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);

        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);

        Assert.True(control.CutShort, "the record was written whole before the kill: nothing was tested");
        Assert.StartsWith("node1", result.NewPrimary);
        var chosen = result.Timeline.Single(e => e.Name == "standby chosen").Detail!;
        Assert.Contains("is the start of a record the primary did not finish sending", chosen);
        Assert.Empty(await ProbeRows.MissingAsync(sandbox, result));
    }

    /// <summary>
    /// The sandbox's fault with a 600 MB record being written: every process of the primary is killed once the standby has
    /// received 8 MB of it.
    /// </summary>
    private sealed class KilledMidRecord(Sandbox sandbox) : ChangedSandboxControl(sandbox)
    {
        /// <summary>Whether the record was still being written when the primary was killed.</summary>
        public bool CutShort { get; private set; }

        public override async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
        {
            var start = Lsn.Parse(await Sql.ScalarAsync<string>(Sandbox, "node0", "select pg_current_wal_insert_lsn()::text"));
            // 600 copies of 1 MB: built in a fraction of the time repeat('x', 600000000) takes.
            var record = Sql.ExecuteAsync(Sandbox, "node0",
                "select pg_logical_emit_message(false, 'drtools-test', repeat(repeat('x', 1000000), 600))");
            await Polling.RequireAsync(async () => Lsn.Parse(await Sql.ScalarAsync<string>(Sandbox, "node1",
                    "select coalesce(pg_last_wal_receive_lsn(), '0/0')::text")).Value > start.Value + (8 << 20) || record.IsCompleted,
                TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(2), () => "the standby received none of the record",
                cancellationToken);
            CutShort = !record.IsCompleted;
            await Inner.FenceAsync(primary, cancellationToken);
            await Assert.ThrowsAnyAsync<Exception>(() => record);
            return "every process of the primary killed in the middle of a record";
        }
    }
}
