using System.Net;
using System.Net.Sockets;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>What a probe's new connection meets on the application's path is what it records.</summary>
public sealed class ProbeConnectionTests
{
    /// <summary>
    /// A proxy that closes every other new connection as it opens (HAProxy handing it to a server that is gone): Npgsql,
    /// preferring GSS encryption by default, opened another connection when the first closed during that negotiation,
    /// and the probe recorded a success where an application (libpq: "server closed the connection unexpectedly") failed.
    /// An independent test counted 2 to 9 such connections per drill, none of them in the probe's history.
    /// </summary>
    [Fact]
    public async Task A_new_connection_the_path_closes_as_it_opens_is_a_failed_attempt_not_made_again_silently()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Probe.PrepareAsync(sandbox.Target.Members[0], CancellationToken.None);
        var gone = new TcpListener(IPAddress.Loopback, 0);
        gone.Start();
        var closed = ((IPEndPoint)gone.LocalEndpoint).Port;
        gone.Stop();
        var turn = 0;
        await using var proxy = new TcpRelay(() => Interlocked.Increment(ref turn) % 2 == 0 ? closed : sandbox.Members[0].Port);
        var builder = sandbox.Target.Members[0].CreateBuilder();
        (builder.Host, builder.Port) = ("127.0.0.1", proxy.Port);
        var options = new ProbeOptions { Rate = 20, Clients = 2, ConnectionString = builder.ConnectionString };

        IReadOnlyList<ProbeSample> samples;
        await using (var probe = Probe.Start(ProbeKind.Write, Guid.NewGuid(), sandbox.Target, options, new MonotonicClock()))
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            samples = await probe.StopAsync();
        }

        // Client 2 opens a new connection for every write: about every other one met the closed one.
        var churned = samples.Where(s => s.Client == 2 && !s.Stopped).ToList();
        var failed = churned.Count(s => !s.Succeeded);
        Assert.True(failed >= churned.Count / 4, $"{failed} of {churned.Count} new connections failed");
    }
}
