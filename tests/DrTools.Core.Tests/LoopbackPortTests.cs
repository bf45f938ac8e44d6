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
}
