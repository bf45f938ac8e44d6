using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace DrTools.Core.Runbooks;

/// <summary>Where and with what a run ran, so an auditor can tell what the figures are figures of.</summary>
public sealed record RunEnvironment
{
    public required string OperatingSystem { get; init; }
    public required string DrToolsVersion { get; init; }
    /// <summary>The commit DrTools was built from (the build's source revision), when the build recorded one.</summary>
    public string? DrToolsCommit { get; init; }
    /// <summary>SHA-256 of the runbook file as it was read, when the run came from a file.</summary>
    public string? RunbookSha256 { get; init; }
    /// <summary>Each target's servers with their engine and version, as they answered when the targets were ready.</summary>
    public IReadOnlyDictionary<string, string> Servers { get; init; } = new Dictionary<string, string>();

    /// <summary>This machine and this DrTools; the runbook's hash when <paramref name="runbookFile"/> is a file.</summary>
    public static RunEnvironment Capture(string? runbookFile)
    {
        var assembly = typeof(RunEnvironment).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        return new RunEnvironment
        {
            OperatingSystem = $"{OsName()} ({RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}), .NET {Environment.Version}",
            DrToolsVersion = assembly.GetName().Version?.ToString(3) ?? "unknown",
            DrToolsCommit = informational.Split('+') is [_, var commit, ..] ? commit : null,
            RunbookSha256 = runbookFile is not null && File.Exists(runbookFile) ? Sha256(File.ReadAllBytes(runbookFile)) : null,
        };
    }

    /// <summary>The operator a run is recorded against: --tester / -Tester, else DRTOOLS_TESTER, else the OS account (said so).</summary>
    public static (string Name, string Source) Operator(string? given)
    {
        var (name, source) = !string.IsNullOrWhiteSpace(given) ? (given, "given with --tester / -Tester")
            : Environment.GetEnvironmentVariable("DRTOOLS_TESTER") is { Length: > 0 } named ? (named, "DRTOOLS_TESTER")
            : (Environment.UserName, "the OS account: name the operator with --tester, -Tester or DRTOOLS_TESTER");
        // Shown in the signed report's header: a line break there writes a line of its own ("PASS: approved by …").
        return PrintableText.NameProblem(name) is { } problem
            ? throw new DrToolsException($"the operator ({source}): {problem}", DrErrorKind.InvalidArgument)
            : (name, source);
    }

    /// <summary>"postgresql 15.8: node0 127.0.0.1:5433, node1 127.0.0.1:5434" — or why the versions could not be read.</summary>
    internal static async Task<string> DescribeServersAsync(Engines.IDrillTarget target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            return DescribeServers(await target.GetStatusAsync(timeout.Token));
        }
        catch (Exception e) when (e is DrToolsException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return $"versions not read: {e.Message.Split('\n')[0]}";
        }
    }

    /// <summary>The engine and server versions of the members a status read.</summary>
    internal static string DescribeServers(Cluster.ClusterStatus status)
    {
        var versions = status.Members.Select(m => m.ServerVersion).OfType<string>().Distinct().ToList();
        var members = string.Join(", ", status.Members.Select(m => m.Display));
        return $"{status.Engine} {(versions.Count == 0 ? "(version not read)" : string.Join(" / ", versions))}: {members}";
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static string OsName()
    {
        const string release = "/etc/os-release";
        const string key = "PRETTY_NAME=";
        var pretty = File.Exists(release) ? File.ReadLines(release).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) : null;
        return pretty is null
            ? RuntimeInformation.OSDescription
            : $"{pretty[key.Length..].Trim('"')}, kernel {Environment.OSVersion.Version}";
    }
}
