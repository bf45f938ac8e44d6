using System.Runtime.InteropServices;

namespace DrTools.Core.Processes;

/// <summary>
/// DrTools' own service process (drtools-service.dll, shipped beside DrTools.Core): a sandbox's fault proxy, or its
/// metrics and alert receiver. Started like any sandbox service, as this user — it reads DrTools' own files.
/// </summary>
public static class ServiceHost
{
    private const string Assembly = "drtools-service.dll";

    public static void Start(string description, string serviceDirectory, string logFile, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = Path.Combine(Path.GetDirectoryName(typeof(ServiceHost).Assembly.Location)!, Assembly);
        if (!File.Exists(host)) throw new DrToolsException($"{description}: {host} is missing from this DrTools installation.",
            DrErrorKind.InvalidOperation);
        ServiceProcess.Start(description, serviceDirectory, logFile, DotnetHost(), ["exec", host, .. arguments], asServerAccount: false,
            environment);
    }

    /// <summary>The dotnet host of the runtime this process runs on, else the one on PATH.</summary>
    private static string DotnetHost()
    {
        var beside = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(beside) ? beside : "dotnet";
    }
}
