using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DrTools.Core.Postgres;

/// <summary>The installed PostgreSQL server programs DrTools drives (initdb, pg_ctl, pg_basebackup, pg_rewind …).</summary>
public sealed partial record PgBinaries(string BinDirectory, int MajorVersion)
{
    public string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>Finds the server binaries: DRTOOLS_PG_BIN, then pg_config --bindir, then PATH, then the newest
    /// /usr/lib/postgresql/*/bin.</summary>
    public static PgBinaries Locate()
    {
        var candidates = new List<(string Source, string? Directory)>
        {
            ("DRTOOLS_PG_BIN", Environment.GetEnvironmentVariable("DRTOOLS_PG_BIN")),
            ("pg_config --bindir", PgConfigBinDir()),
        };
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':',
            StringSplitOptions.RemoveEmptyEntries).Select(d => ("PATH", (string?)d)));
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .OrderByDescending(d => d.Version)
                .Select(d => ("/usr/lib/postgresql", (string?)Path.Combine(d.Dir, "bin"))));
        }

        foreach (var (source, directory) in candidates)
        {
            if (string.IsNullOrEmpty(directory) || !IsServerBinDirectory(directory)) continue;
            return new PgBinaries(directory, ReadMajorVersion(directory));
        }
        if (Environment.GetEnvironmentVariable("DRTOOLS_PG_BIN") is { Length: > 0 } given)
        {
            throw new DrToolsException($"DRTOOLS_PG_BIN='{given}' does not contain the PostgreSQL server programs (initdb, pg_ctl, "
                + $"postgres).", DrErrorKind.InvalidArgument);
        }
        throw new DrToolsException("PostgreSQL server programs (initdb, pg_ctl, postgres) were not found: install PostgreSQL (apt-get "
            + "install postgresql) or set DRTOOLS_PG_BIN to their directory.", DrErrorKind.InvalidOperation);
    }

    private static bool IsServerBinDirectory(string directory) =>
        new[] { "initdb", "pg_ctl", "postgres", "pg_basebackup" }.All(tool => File.Exists(Path.Combine(directory, tool)));

    private static string? PgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true,
                RedirectStandardError = true });
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEnd().Trim();
            return process.WaitForExit(5000) && process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+)")]
    private static partial Regex VersionPattern();

    private static int ReadMajorVersion(string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(directory, "postgres"),
            "--version") { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(5000);
        var match = VersionPattern().Match(output);
        return match.Success ? int.Parse(match.Groups[1].Value)
            : throw new DrToolsException($"cannot read the PostgreSQL version from '{directory}/postgres --version': {output.Trim()}");
    }
}
