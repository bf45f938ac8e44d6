using System.Runtime.InteropServices;
using DrTools.Core;
using DrTools.Core.Faults.Proxy;
using DrTools.Core.Metrics;
using DrTools.Core.Monitoring;
using DrTools.Core.Sandboxes;

// Before the first socket: a chunk's forwarding continues on the thread epoll woke, not after a hop to the thread pool
// (one thread wake-up per chunk instead of two). Nothing the services run there blocks.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
using var stop = new CancellationTokenSource();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    Stopping.Stop(stop);
});
try
{
    switch (args)
    {
        case ["fault-proxy", var controlSocket]:
            await FaultProxyServer.RunAsync(controlSocket, stop.Token);
            return 0;
        case ["monitor", var listen, var sandboxDirectory, var inbox]:
            // The sandbox's own metrics for its Prometheus, and the receiver of its Alertmanager.
            var sandbox = Sandbox.Open(Path.GetFileName(sandboxDirectory), Path.GetDirectoryName(sandboxDirectory));
            await MetricsServer.ServeAsync(listen, new MetricSources { Targets = [sandbox.Target], History = false }, null,
                TimeSpan.FromMinutes(1),
                url => Console.WriteLine($"{DateTimeOffset.UtcNow:O} {MetricsServer.Serving} {url}, receiving alerts at /alerts"),
                stop.Token, new AlertInbox(inbox));
            return 0;
        default:
            Console.Error.WriteLine("usage: dotnet drtools-service.dll fault-proxy CONTROL_SOCKET | monitor HOST:PORT SANDBOX_DIRECTORY "
                + "INBOX_FILE (a sandbox starts it)");
            return 2;
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // SIGTERM: the sandbox is being removed.
    return 0;
}
catch (DrToolsException e)
{
    // One line, the last of the log, for the sandbox to quote (one that could not listen is started again on another port).
    Console.Error.WriteLine($"drtools-service: {e.Message}");
    return 1;
}
catch (Exception e)
{
    // Its trace for whoever reads the log, then the one line the sandbox quotes.
    Console.Error.WriteLine(e);
    Console.Error.WriteLine($"drtools-service: {e.GetType().Name}: {e.Message}");
    return 1;
}
