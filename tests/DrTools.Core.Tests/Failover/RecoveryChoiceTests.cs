using DrTools.Core.Engines;
using DrTools.Core.Failover;

namespace DrTools.Core.Tests;

/// <summary>The one place a drill's recovery is chosen, as every surface reaches it: no server is asked.</summary>
public sealed class RecoveryChoiceTests
{
    [Fact]
    public void What_only_postgresql_drills_take_is_refused_on_another_store_by_the_surfaces_own_names()
    {
        var mariadb = Stores.FromConnectionStrings(StoreEngines.MariaDb, ["Server=127.0.0.1;Port=1"]);
        var request = new RecoveryRequest(name => $"-{char.ToUpperInvariant(name[0])}{name[1..]}")
        {
            DataDirectories = ["/srv/db"],
            StopCommand = "systemctl stop mariadb",
        };
        var refusal = Assert.Throws<DrToolsException>(() => Recovery.For(mariadb, null, request));
        Assert.Equal($"-DataDirectory, -StopCommand: for PostgreSQL drills only; {mariadb.Name} is a mariadb cluster. Nothing was changed.",
            refusal.Message);
    }

    [Fact]
    public void A_postgresql_cluster_gets_drtools_recovery_unless_told_otherwise()
    {
        var postgres = Stores.FromConnectionStrings(StoreEngines.PostgreSql, ["Host=127.0.0.1;Port=1"]);
        Assert.Equal(RecoveredBy.DrTools, Recovery.For(postgres, null, new RecoveryRequest(name => name)).RecoveredBy);
        var external = Recovery.For(postgres, null, new RecoveryRequest(name => name)
        {
            RecoveredBy = RecoveredBy.External,
            FaultCommand = "true",
        });
        Assert.Equal(RecoveredBy.External, external.RecoveredBy);
    }
}
