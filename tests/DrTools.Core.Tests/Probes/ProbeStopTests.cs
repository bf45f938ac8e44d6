using DrTools.Core.Probes;

namespace DrTools.Core.Tests;

/// <summary>
/// A probe stops whatever its client library's cancellation does: Npgsql 10's cancellation callback throws
/// ObjectDisposedException when the connection it would cancel was closed meanwhile, and that failed a Patroni drill in CI
/// ("One or more errors occurred. (… Cannot access a disposed object. Object name: 'System.Threading.ManualResetEventSlim'.)").
/// The library here is that behaviour alone: an attempt that hangs and whose cancellation callback throws so.
/// </summary>
public sealed class ProbeStopTests
{
    [Fact]
    public async Task A_client_library_whose_cancellation_callback_throws_does_not_fail_the_probe_s_stop()
    {
        var connector = new HangingLibrary();
        var probe = Probe.Start(ProbeKind.Write, Guid.NewGuid(), connector,
            new ProbeOptions { Rate = 20, Clients = 1, AttemptTimeout = TimeSpan.FromSeconds(30) }, new MonotonicClock());
        await connector.InFlight.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var samples = await probe.StopAsync();

        var stopped = Assert.Single(samples);
        Assert.True(stopped.Stopped && stopped.Indeterminate, stopped.ToString());
    }

    private sealed class HangingLibrary : IProbeConnector
    {
        public TaskCompletionSource InFlight { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Path => "a library whose cancellation fails";
        public string? ClientSettingsNote => null;
        public string WriteStatement => "hangs";
        public string ReadStatement => "hangs";
        public string ProbeData => "nowhere";
        public bool Refused(Exception error) => false;
        public Task<IProbeSession> OpenAsync(CancellationToken cancellationToken) => Task.FromResult<IProbeSession>(new Session(this));

        private sealed class Session(HangingLibrary library) : IProbeSession
        {
            public string? Host => "nowhere";

            public async Task<ProbeAnswer> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken)
            {
                // As Npgsql's registration does once its connector is disposed.
                using var registration = cancellationToken.Register(
                    () => throw new ObjectDisposedException("System.Threading.ManualResetEventSlim"));
                library.InFlight.TrySetResult();
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
                return new ProbeAnswer("nowhere");
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
