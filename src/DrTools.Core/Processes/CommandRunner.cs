using System.Diagnostics;
using System.Text;

namespace DrTools.Core.Processes;

public static class CommandRunner
{
    /// <summary>
    /// Runs a program to completion. On cancellation or timeout the whole process tree is killed before this returns,
    /// so nothing it started keeps running behind the caller's back.
    /// </summary>
    public static async Task<CommandResult> RunAsync(CommandSpec spec, CancellationToken cancellationToken)
    {
        var (file, arguments) = spec.AsServerAccount ? ServerAccount.Current.Wrap(spec.FileName, spec.Arguments) : (spec.FileName,
            spec.Arguments);
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? "/",
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // libpq's variables from the caller's shell (a PGPASSWORD it takes over the password file DrTools gives, PGHOST …)
        // must not steer DrTools' PostgreSQL programs, nor the servers pg_ctl starts (a standby's WAL receiver reads them).
        if (IsPostgresProgram(spec.FileName))
        {
            foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
            {
                info.Environment.Remove(name);
            }
        }
        foreach (var (key, value) in spec.Environment) info.Environment[key] = value;
        info.Environment["LC_ALL"] = "C";

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DrToolsException($"{spec.Description}: cannot start '{file}': {e.Message}", DrErrorKind.ExternalCommandFailed);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(spec.Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            // A tool may wait for room rather than fail (InnoDB on a full disk): what it said before it was stopped says why.
            var disk = AtomicFile.DiskErrorIn(await stderr + await stdout, spec.Writes);
            var why = disk is { Text: var text } ? $": {text}" : "";
            throw new DrToolsException($"{spec.Description} did not finish within {DurationText.Format(spec.Timeout)}{why}.",
                DrErrorKind.Timeout, disk?.Error);
        }

        var result = new CommandResult(process.ExitCode, await stdout, await stderr);
        if (spec.RequireSuccess && result.ExitCode != 0)
        {
            // A full or read-only disk is said as DrTools' own writes say it, naming the file the tool could not write.
            throw AtomicFile.DiskErrorIn(result.StandardError + result.StandardOutput, spec.Writes) is { } disk
                ? new DrToolsException($"{spec.Description} failed: {disk.Text}.", DrErrorKind.ExternalCommandFailed, disk.Error)
                : new DrToolsException($"{spec.Description} failed (exit code {result.ExitCode}): {LastLines(result)}",
                    DrErrorKind.ExternalCommandFailed);
        }
        return result;
    }

    private static string LastLines(CommandResult result)
    {
        var text = result.StandardError.Trim().Length > 0 ? result.StandardError : result.StandardOutput;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no output" : string.Join(" | ", lines.TakeLast(3));
    }

    /// <summary>A program of a PostgreSQL installation (/usr/lib/postgresql/15/bin/pg_ctl and the like).</summary>
    private static bool IsPostgresProgram(string file) =>
        Path.GetDirectoryName(file) is { } directory && directory.EndsWith("/bin", StringComparison.Ordinal)
        && directory.Contains("/postgresql/", StringComparison.Ordinal);
}
