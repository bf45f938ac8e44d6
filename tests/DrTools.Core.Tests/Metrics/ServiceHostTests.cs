using System.Net;
using System.Net.Sockets;
using DrTools.Core;
using DrTools.Core.Metrics;
using DrTools.Core.Processes;
using Xunit;

namespace DrTools.Core.Tests.Metrics;

/// <summary>
/// DrTools' own service as a sandbox starts it: when it cannot serve, the last line of its log is one line naming why,
/// which the sandbox quotes (and, for a port it could not listen on, tries another port on).
/// </summary>
public sealed class ServiceHostTests
{
    [Fact]
    public async Task A_monitor_given_no_sandbox_exits_with_one_line_naming_it()
    {
        using var root = new TemporaryRoot();
        var listen = $"127.0.0.1:{LoopbackPort.Free()}";

        var last = await LastLineAsync(Path.Combine(root.Path, "service"),
            ["monitor", listen, Path.Combine(root.Path, "gone"), Path.Combine(root.Path, "inbox")]);

        // Before, an exception's trace: the sandbox quoted its last three frames.
        Assert.StartsWith("drtools-service: ", last);
        Assert.Contains("gone", last);
    }

    [Fact]
    public async Task A_monitor_that_cannot_listen_says_so_in_the_line_the_sandbox_starts_it_again_on()
    {
        using var root = new TemporaryRoot();
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var listen = $"127.0.0.1:{((IPEndPoint)taken.LocalEndPoint!).Port}";
        await using var made = await Sandboxes.Sandbox.CreateAsync(new Sandboxes.SandboxOptions { Standbys = 0, Root = root.Path },
            CancellationToken.None);

        var last = await LastLineAsync(Path.Combine(root.Path, "service"),
            ["monitor", listen, made.Directory, Path.Combine(root.Path, "inbox")]);

        Assert.Equal($"drtools-service: {MetricsServer.CannotListen} {listen}: Address already in use", last);
    }

    /// <summary>Starts the service in a folder of its own, waits until it has exited, and gives its log's last line.</summary>
    private static async Task<string> LastLineAsync(string folder, IReadOnlyList<string> arguments)
    {
        Directory.CreateDirectory(folder);
        var log = Path.Combine(folder, "service.log");
        ServiceHost.Start("the service under test", folder, log, arguments);
        Assert.True(await Polling.UntilAsync(() => Task.FromResult(ProcessTable.FindByWorkingDirectory(folder).Count == 0),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), CancellationToken.None), "the service did not exit");
        return File.ReadLines(log).Last(l => l.Trim().Length > 0);
    }
}
