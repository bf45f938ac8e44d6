using System.Diagnostics;

namespace DrTools.Core.Tests;

/// <summary>
/// Ports for servers, chosen free: each DrTools process found a port free and handed it out, and another process (a test
/// suite beside another, a drill beside a sandbox) could hand out the same one before the first server bound it (Patroni
/// binds its PostgreSQL port only after initdb). One of the two servers then failed to start.
/// </summary>
public sealed class LoopbackPortTests
{
    [Fact]
    public async Task A_port_handed_out_is_reserved_for_every_other_process_on_the_machine()
    {
        var port = LoopbackPort.Free();

        // Another process, not DrTools, asks for the reservation DrTools' processes take: refused while this one holds it.
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
            + "try:\n  s.bind('\\0' + sys.argv[1])\n  print('free')\nexcept OSError as e:\n  print('held', e.errno)");
        info.ArgumentList.Add($"drtools-port-{port}");
        using var python = Process.Start(info)!;
        var said = (await python.StandardOutput.ReadToEndAsync()).Trim();
        await python.WaitForExitAsync();

        Assert.Equal("held 98", said);
    }

    [Fact]
    public void Ports_handed_out_in_a_row_are_all_different()
    {
        var ports = Enumerable.Range(0, 500).Select(_ => LoopbackPort.Free()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    /// <summary>
    /// A member a drill killed leaves its port free until the drill starts it again: handed to another process meanwhile
    /// (a metrics service, a Patroni node), one of the two servers failed to start. A sandbox's ports stay claimed while
    /// its folder exists, whichever process made it.
    /// </summary>
    [Fact]
    public async Task A_sandbox_member_s_port_stays_claimed_while_the_member_is_down_and_is_given_up_with_the_sandbox()
    {
        using var root = new TemporaryRoot();
        var sandbox = await Sandboxes.Sandbox.CreateAsync(new Sandboxes.SandboxOptions { Standbys = 1, Root = root.Path },
            CancellationToken.None);
        var ports = sandbox.Members.Select(m => m.Port).ToList();
        await using (sandbox)
        {
            await sandbox.Server("node0").KillAsync();

            Assert.All(ports, port => Assert.True(LoopbackPort.Claimed(port), $"port {port} is not claimed"));
        }
        Assert.All(ports, port => Assert.False(LoopbackPort.Claimed(port), $"port {port} is still claimed"));
    }
}
