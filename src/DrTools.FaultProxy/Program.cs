using System.Runtime.InteropServices;
using DrTools.Core.Faults.Proxy;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet drtools-fault-proxy.dll CONTROL_SOCKET (a sandbox created with a fault proxy starts it)");
    return 2;
}
// Before the first socket: a chunk's forwarding continues on the thread epoll woke, not after a hop to the thread pool
// (one thread wake-up per chunk instead of two). Nothing the proxy runs there blocks.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
using var stop = new CancellationTokenSource();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
await FaultProxyServer.RunAsync(args[0], stop.Token);
return 0;
