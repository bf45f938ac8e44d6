using System.Runtime.InteropServices;
using DrTools.Core.Faults.Proxy;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet drtools-fault-proxy.dll CONTROL_SOCKET (a sandbox created with a fault proxy starts it)");
    return 2;
}
using var stop = new CancellationTokenSource();
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
await FaultProxyServer.RunAsync(args[0], stop.Token);
return 0;
