using System.Diagnostics;
using DrTools.Core;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>drtools fault: a fault held for a duration is undone on Ctrl+C and SIGTERM; one a SIGKILL left is undone by fault stop --all and sandbox down --all.</summary>
public sealed class FaultCliTests
{
    /// <summary>DrTools' nftables tables on these ports (other test processes may be making their own meanwhile).</summary>
    private static async Task<IReadOnlyList<string>> TablesAsync(params int[] ports) =>
        (await NftTables.ListAsync()).Where(l => ports.Any(p => l.Contains($"drtools_partition_{p}_", StringComparison.Ordinal))).ToList();

    [Theory]
    [InlineData(Drtools.SigInt, "fault")]
    [InlineData(Drtools.SigTerm, "fault")]
    [InlineData(Drtools.SigKill, "fault")]
    [InlineData(Drtools.SigKill, "sandbox")]
    public async Task A_partition_held_by_a_command_is_undone_however_the_command_ends(int signal, string cleanup)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var environment = new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "faults"), ["DRTOOLS_SANDBOX_ROOT"] = Path.Combine(root.Path, "other") };
        using var held = Drtools.Start(environment, "fault", "start", "partition", "--sandbox", sandbox.Id, "--root", root.Path, "--on", "node1", "--fault-arg", "from=node0", "--duration", "120s");
        var port = sandbox.Members[1].Port;
        await Polling.RequireAsync(async () => (await TablesAsync(port)).Count == 1, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20), () => "the partition never took effect", CancellationToken.None);

        var listed = await Drtools.RunAsync(environment, "fault", "list");
        Assert.Matches($@"partition-{sandbox.Members[1].Port}-[0-9a-f]{{6}}\s+partition\s+node1 \(127\.0\.0\.1:{sandbox.Members[1].Port}\)", listed.StandardOutput);
        Drtools.Signal(held, signal);
        var result = await Drtools.CompleteAsync(held, TimeSpan.FromSeconds(60));

        if (signal == Drtools.SigKill)
        {
            Assert.Single(await TablesAsync(port));
            var stop = cleanup == "fault" ? await Drtools.RunAsync(environment, "fault", "stop", "--all") : await Drtools.RunAsync(environment, "sandbox", "down", "--all");
            Assert.True(stop.ExitCode == 0, stop.All);
            // The suites run side by side: another's cleanup may sweep the table its dead maker left first.
            const string undone = @"partition-\d+-[0-9a-f]{6}: undone after [\d.]+m?s: nftables table inet drtools_partition_\d+_[0-9a-f]{6}_p\d+_s\d+ "
                + "(deleted|was already gone)";
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(stop.StandardOutput, undone), stop.All);
        }
        else
        {
            Assert.True(result.ExitCode == 130, result.All);
        }
        Assert.Empty(await TablesAsync(port));
        Assert.Equal("[]", (await Drtools.RunAsync(environment, "fault", "list", "--json")).StandardOutput.Trim());
        Assert.False(Directory.Exists($"/sys/fs/cgroup/unified/drtools/member-{port}"));
    }

    [Fact]
    public async Task Stop_all_keeps_a_partition_another_running_command_holds_from_another_fault_state_folder()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var holder = new Dictionary<string, string>
        {
            ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "holder"), ["DRTOOLS_SANDBOX_ROOT"] = root.Path,
        };
        var other = new Dictionary<string, string>
        {
            ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "other"), ["DRTOOLS_SANDBOX_ROOT"] = Path.Combine(root.Path, "none"),
        };
        using var held = Drtools.Start(holder, "fault", "start", "partition", "--sandbox", sandbox.Id, "--on", "node1",
            "--fault-arg", "from=node0", "--duration", "120s");
        var port = sandbox.Members[1].Port;
        await Polling.RequireAsync(async () => (await TablesAsync(port)).Count == 1, TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(20), () => "the partition never took effect", CancellationToken.None);
        // Its cgroup label is older than a stray label has to be before stop --all may take it as one.
        await Task.Delay(TimeSpan.FromSeconds(11));

        var stop = await Drtools.RunAsync(other, "fault", "stop", "--all");

        Assert.True(stop.ExitCode == 0, stop.All);
        var kept = $@"kept nftables table inet drtools_partition_{port}_[0-9a-f]{{6}}_p{held.Id}_s\d+: process {held.Id}, which made it";
        Assert.Matches(kept + ", is running", stop.StandardOutput);
        Assert.Single(await TablesAsync(port));
        Assert.True(Directory.Exists($"/sys/fs/cgroup/unified/drtools/member-{port}"));
        Drtools.Signal(held, Drtools.SigInt);
        Assert.True((await Drtools.CompleteAsync(held, TimeSpan.FromSeconds(60))).ExitCode == 130);
        Assert.Empty(await TablesAsync(port));
    }

    [Fact]
    public async Task A_proxy_fault_a_command_left_in_effect_is_taken_out_of_the_proxy_by_fault_stop_all()
    {
        using var root = new TemporaryRoot();
        var environment = new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "faults"), ["DRTOOLS_SANDBOX_ROOT"] = root.Path };
        var up = await Drtools.RunAsync(environment, "sandbox", "up", "--standbys", "0", "--fault-proxy", "--json");
        Assert.True(up.ExitCode == 0, up.All);
        using var created = System.Text.Json.JsonDocument.Parse(up.StandardOutput);
        Assert.True(created.RootElement.GetProperty("faultProxy").GetBoolean());
        var sandbox = Sandbox.Open(created.RootElement.GetProperty("id").GetString()!, root.Path);
        try
        {
            // Without --duration the command returns with the fault in effect, and its process is gone.
            var start = await Drtools.RunAsync(environment, "fault", "start", "latency", "--sandbox", sandbox.Id, "--fault-arg", "delay=300ms");
            Assert.True(start.ExitCode == 0, start.All);
            Assert.StartsWith($"fault latency-{sandbox.Members[0].ProxyPort}-", start.StandardOutput);
            Assert.Single((await sandbox.FaultProxyStateAsync(CancellationToken.None)).SelectMany(l => l.Toxics));

            var stop = await Drtools.RunAsync(environment, "fault", "stop", "--all");

            Assert.True(stop.ExitCode == 0, stop.All);
            Assert.Matches($@"latency-\d+-[0-9a-f]{{6}}: undone after [\d.]+m?s: removed from the fault proxy \(port {sandbox.Members[0].ProxyPort}\)", stop.StandardOutput);
            Assert.Empty((await sandbox.FaultProxyStateAsync(CancellationToken.None)).SelectMany(l => l.Toxics));
        }
        finally
        {
            await Sandbox.RemoveAsync(sandbox.Id, root.Path);
        }
    }

    [Theory]
    [InlineData("not root", "needs root (nftables and cgroups); Freeze, Kill, ReplicationDelay, Command and the fault proxy's faults do not.")]
    [InlineData("no nftables", "needs nftables, which is not installed: apt-get install nftables.")]
    public async Task A_network_fault_where_it_cannot_work_is_refused_in_one_line_naming_what_is_missing(string where, string expected)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var member = $"Host=127.0.0.1;Port={sandbox.Members[0].Port}";
        string[] wrapper = where == "not root"
            ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            // A mount namespace of its own in which /usr/sbin (where Debian puts nft) is empty.
            : ["unshare", "--mount", "sh", "-c", "mount -t tmpfs none /usr/sbin && exec \"$@\"", "sh"];
        var environment = new Dictionary<string, string> { ["HOME"] = root.Path, ["DOTNET_CLI_HOME"] = root.Path, ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "faults") };
        using var process = Drtools.StartUnder(wrapper, environment, "fault", "start", "partition", "--member", member, "--allow-drill-on", $"127.0.0.1:{sandbox.Members[0].Port}", "--on", $"127.0.0.1:{sandbox.Members[0].Port}");
        var result = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 2, result.All);
        Assert.Equal($"drtools: Partition of 127.0.0.1:{sandbox.Members[0].Port} {expected}", result.StandardError.Trim());
        Assert.Empty(await TablesAsync(sandbox.Members[0].Port));
        Assert.False(Directory.Exists(Path.Combine(root.Path, "faults")) && Directory.EnumerateFiles(Path.Combine(root.Path, "faults")).Any());
    }

    [Theory]
    [InlineData(new[] { "fault", "start", "meltdown", "--sandbox", "x" }, "drtools: fault kind 'meltdown': one of partition, packet-loss, freeze, kill, replication-delay, command, connection-exhaustion, disk-full, latency, jitter, bandwidth, reset-connections, blackhole.")]
    [InlineData(new[] { "fault", "start", "partition", "--member", "Host=127.0.0.1;Port=5432" }, "drtools: Partition fault refused: 127.0.0.1:5432 is not allowed for drills.")]
    [InlineData(new[] { "fault", "start", "packet-loss", "--member", "Host=127.0.0.1;Port=5432", "--allow-drill-on", "127.0.0.1:5432", "--on", "127.0.0.1:5432", "--fault-arg", "percent" }, "drtools: fault parameter 'percent': write it as NAME=VALUE, e.g. percent=30.")]
    [InlineData(new[] { "fault", "stop" }, "drtools: fault stop: give fault ids or --all (one of the two).")]
    [InlineData(new[] { "fault", "start", "freeze", "--sandbox", "x", "--http-probe", "http://127.0.0.1:9/" }, "drtools: --http-probe runs while a fault is held: give --duration too.")]
    [InlineData(new[] { "failover", "--sandbox", "x", "--p99", "500ms" }, "drtools: --max-error-rate and --p99 are targets of the HTTP probe: give its URL (--http-probe).")]
    [InlineData(new[] { "failover", "--sandbox", "x", "--fault", "meltdown" }, "drtools: fault 'meltdown': one of KillPostgres, KillNode, FreezeNode, StopPatroni, Partition, PacketLoss, Freeze, Kill, Command, ConnectionExhaustion, DiskFull, Latency, Jitter, Bandwidth, ResetConnections, Blackhole.")]
    [InlineData(new[] { "fault", "stop", "partition-1-abcdef" }, "drtools: no active fault 'partition-1-abcdef'")]
    public async Task Bad_fault_input_is_one_line_and_exit_code_2(string[] arguments, string expected)
    {
        using var root = new TemporaryRoot();
        var result = await Drtools.RunAsync(new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = root.Path }, arguments);
        Assert.True(result.ExitCode == 2, result.All);
        Assert.StartsWith(expected, result.StandardError);
        Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.Empty(await TablesAsync(5432));
    }
}
