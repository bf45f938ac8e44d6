using DrTools.Core.Failover;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class FailoverJournalTests
{
    /// <summary>A lone drill's report (Invoke-DbFailover | Export-DrReport) names the servers it ran on, with their version.</summary>
    [Fact]
    public async Task A_lone_drills_journal_records_the_operator_and_its_servers_engine_and_version()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Engine = Engines.StoreEngines.Redis, Standbys = 1, Root = root.Path,
        }, CancellationToken.None);
        var store = (Engines.IReplicaSet)sandbox.Cluster;
        var recovery = Recovery.Observe(Engines.Stores.Recovery(store, null, []), store, sandbox);
        var options = new FailoverOptions { Mode = FailoverMode.Switchover };
        var result = await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);

        var journal = FailoverJournal.From(result, "Dana");

        Assert.Equal(("Dana", "given with --tester / -Tester"), (journal.Tester, journal.TesterSource));
        Assert.Matches(@"^redis \d+\.\d+\.\d+: node0 \(127\.0\.0\.1:\d+\), node1 \(127\.0\.0\.1:\d+\)$",
            journal.Environment!.Servers["db"]);
        Assert.Contains("| Servers | db: redis ", Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Markdown));
    }
}
