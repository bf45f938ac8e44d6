using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

/// <summary>
/// nftables (Debian's nftables package) as DrTools uses it: one table of its own per fault, named drtools_*, applied
/// from a ruleset file and deleted whole on undo, so no rule of anyone else is ever touched.
/// </summary>
internal static partial class Nftables
{
    public const string TablePrefix = "drtools_";

    private static string? Located => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':',
        StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/sbin")
        .Select(d => Path.Combine(d, "nft")).FirstOrDefault(File.Exists);

    /// <summary>Whether this process can use nftables at all (root, nft installed).</summary>
    public static bool Usable => Environment.IsPrivilegedProcess && Located is not null;

    /// <summary>Refuses, naming the package or the privilege, where nftables cannot be used.</summary>
    public static string Program(string what)
    {
        if (!Environment.IsPrivilegedProcess) throw new DrToolsException($"{what} needs root (nftables and cgroups); Freeze, Kill, "
            + $"ReplicationDelay, Command and the fault proxy's faults do not.", DrErrorKind.NotAllowed);
        return Located ?? throw new DrToolsException($"{what} needs nftables, which is not installed: apt-get install nftables.",
            DrErrorKind.InvalidOperation);
    }

    /// <summary>
    /// The table of a fault, named with the process that made it and when that process started (a pid alone is reused): a
    /// stray one is removed only once that process is gone.
    /// </summary>
    public static string TableOf(string faultId) => $"{TablePrefix}{faultId.Replace('-', '_')}_p{ProcessOwner.Current.Pid}"
        + (ProcessOwner.Current.StartTicks is { } ticks ? $"_s{ticks}" : "");

    /// <summary>The process that made the table, as its name says (null when it says nothing of it).</summary>
    public static ProcessOwner? Maker(string table) => MakerName().Match(table) is { Success: true } m
        ? new ProcessOwner(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            m.Groups[2].Success ? long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : null)
        : null;

    [GeneratedRegex(@"_p(\d{1,9})(?:_s(\d{1,18}))?$")]
    private static partial Regex MakerName();

    /// <summary>Whether the process that made the table is gone (or the name says nothing of it).</summary>
    public static bool MakerGone(string table) => Maker(table) is not { } maker || !maker.IsAlive;

    public static async Task ApplyAsync(string what, string ruleset, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"drtools-{Guid.NewGuid():n}.nft");
        AtomicFile.Write(file, ruleset);
        try
        {
            await CommandRunner.RunAsync(new CommandSpec($"nft for {what}", Program(what), ["-f", file]), cancellationToken);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Deletes one of DrTools' tables; false when it was not there (already undone).</summary>
    public static async Task<bool> DeleteTableAsync(string table, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(new CommandSpec($"nft delete table {table}", Program("removing a network fault"),
            ["delete", "table", "inet", table]) { RequireSuccess = false }, cancellationToken);
        if (result.ExitCode == 0) return true;
        if (result.StandardError.Contains("No such file or directory", StringComparison.Ordinal)) return false;
        throw new DrToolsException($"nft could not delete table inet {table}: {result.StandardError.Trim()}",
            DrErrorKind.ExternalCommandFailed);
    }

    /// <summary>The conntrack mark bits DrTools' tables on this machine test (ct mark &amp; BIT), whichever process made them.</summary>
    public static async Task<IReadOnlyList<long>> MarksInUseAsync(CancellationToken cancellationToken) =>
        System.Text.RegularExpressions.Regex.Matches(await RulesetAsync(cancellationToken), @"ct mark & 0x([0-9a-f]{8}) ==")
            .Select(m => long.Parse(m.Groups[1].Value,
                System.Globalization.NumberStyles.HexNumber)).Where(bit => bit != 0).Distinct().ToList();

    /// <summary>Every rule on this machine, as nft lists them.</summary>
    public static async Task<string> RulesetAsync(CancellationToken cancellationToken) =>
        (await CommandRunner.RunAsync(
            new CommandSpec("nft list ruleset", Program("reading network faults"), ["list", "ruleset"]), cancellationToken))
            .StandardOutput;

    /// <summary>DrTools' tables present now (inet drtools_*).</summary>
    public static async Task<IReadOnlyList<string>> TablesAsync(CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(new CommandSpec("nft list tables", Program("listing network faults"), ["list", "tables"]),
            cancellationToken);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(words => words is ["table", "inet", var name] && name.StartsWith(TablePrefix, StringComparison.Ordinal))
            .Select(words => words[2]).ToList();
    }
}
