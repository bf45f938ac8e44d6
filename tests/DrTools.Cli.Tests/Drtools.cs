using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using DrTools.Core.Processes;

namespace DrTools.Cli.Tests;

/// <summary>A finished drtools: its stderr split into the progress lines of long operations and everything else (errors).</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError, string Progress = "")
{
    /// <summary>
    /// What a failed assertion shows: the JSON output's unmet figures and stderr first, since CI prints only a
    /// failure's first lines, then stdout.
    /// </summary>
    public string All => UnmetFigures() + StandardError + StandardOutput;

    private string UnmetFigures()
    {
        if (!StandardOutput.TrimStart().StartsWith('{')) return "";
        try
        {
            using var document = JsonDocument.Parse(StandardOutput);
            var unmet = new List<string>();
            CollectUnmet(document.RootElement, unmet);
            return unmet.Count == 0 ? "" : $"not met: {string.Join("; ", unmet)}\n";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static void CollectUnmet(JsonElement element, List<string> unmet)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray()) CollectUnmet(item, unmet);
        }
        if (element.ValueKind != JsonValueKind.Object) return;
        if (element.TryGetProperty("met", out var met) && met.ValueKind == JsonValueKind.False
            && element.TryGetProperty("name", out var name))
        {
            var measured = element.TryGetProperty("measured", out var m) ? m.ToString() : "?";
            var target = element.TryGetProperty("target", out var t) ? t.ToString() : "?";
            unmet.Add($"{name.GetString()} {measured} (target {target})");
        }
        foreach (var property in element.EnumerateObject()) CollectUnmet(property.Value, unmet);
    }
}

/// <summary>Runs the built drtools command as a real process.</summary>
public static class Drtools
{
    private static readonly string Dll = Setting("DrToolsCli");

    public static string RepositoryRoot { get; } = Path.GetFullPath(Setting("RepositoryRoot"));

    private static string Setting(string key) => typeof(Drtools).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>
    /// Where the drills tests run on their own are recorded (drtools failover and drill record each one): this test
    /// process's own folder, writable by any user a test runs drtools as, removed when every test is done
    /// (<see cref="TestRunCleanup"/>).
    /// </summary>
    private static readonly Lazy<string> OwnHistory = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("drtools-test-history-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b1_111_111_111);
        return folder;
    });

    internal static void RemoveOwnHistory()
    {
        if (OwnHistory.IsValueCreated) Directory.Delete(OwnHistory.Value, recursive: true);
    }

    public static Process Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) => StartUnder([], environment, arguments);

    /// <summary>Starts drtools under <paramref name="wrapper"/> (e.g. setpriv as another user, unshare with a mount hidden).</summary>
    public static Process StartUnder(IReadOnlyList<string> wrapper, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(wrapper.Count > 0 ? wrapper[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var word in wrapper.Skip(1)) info.ArgumentList.Add(word);
        if (wrapper.Count > 0) info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Dll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        if (!environment.ContainsKey("DRTOOLS_HISTORY") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DRTOOLS_HISTORY")))
        {
            info.Environment["DRTOOLS_HISTORY"] = OwnHistory.Value;
        }
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    public static Task<CliResult> RunAsync(params string[] arguments) => RunAsync(TimeSpan.FromSeconds(120), arguments);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        using var process = Start(environment, arguments);
        return await CompleteAsync(process, TimeSpan.FromSeconds(120));
    }

    public static async Task<CliResult> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(arguments);
        return await CompleteAsync(process, timeout);
    }

    public static async Task<CliResult> CompleteAsync(Process process, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var lines = (await stderr).Split('\n');
        var errors = string.Join('\n', lines.Where(l => !ProgressLine.IsMatch(l)));
        return new CliResult(process.ExitCode, await stdout, errors, string.Join('\n', lines.Where(l => ProgressLine.IsMatch(l))));
    }

    /// <summary>ConsoleProgress.PlainLine's shape: "  +1.2s  activity: phase (40%)".</summary>
    public static readonly System.Text.RegularExpressions.Regex ProgressLine = new(@"^  \+\d+\.\ds  .+ \(\d+%\)$");

    /// <summary>Runs drtools on a pseudo-terminal (script(1)), as a person at a terminal runs it: what the terminal received.</summary>
    public static async Task<string> RunOnTerminalAsync(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        var command = string.Join(' ', arguments.Prepend(Dll).Prepend("dotnet").Select(a => $"'{a.Replace("'", "'\\''")}'"));
        foreach (var word in new[] { "-qec", command, "/dev/null" }) info.ArgumentList.Add(word);
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var result = await CompleteAsync(process, timeout);
        Assert.True(result.ExitCode == 0, result.All);
        return result.StandardOutput;
    }

    public const int SigInt = 2, SigKill = 9, SigTerm = 15;

    public static void Signal(Process process, int signal) => Assert.True(ProcessTable.Signal(process.Id, signal));

    /// <summary>A runbook whose one step runs for two minutes on a sandbox with a standby (cleanup removes it), for interrupting runs.</summary>
    public static string WriteLongRunbook(string folder, string name)
    {
        var file = Path.Combine(folder, "long.yml");
        File.WriteAllText(file, $$"""
            name: {{name}}
            targets:
              db: { sandbox: { standbys: 1 } }
            steps:
              - { name: Long query, run: Invoke-DbQuery, with: { target: db, query: "select pg_sleep(120)" } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        return file;
    }

    /// <summary>A runbook whose one step fails at once, without a server: the run still ends and writes its journal and reports.</summary>
    public static string WriteQuickRunbook(string folder)
    {
        var file = Path.Combine(folder, "quick.yml");
        File.WriteAllText(file, """
            name: Quick drill
            steps:
              - { name: Policy, run: Test-DbBackupPolicy, with: { repository: /nonexistent-drtools-repository } }
            """);
        return file;
    }

    /// <summary>The only run journal under a history folder, if one was written yet.</summary>
    public static DrTools.Core.Runbooks.RunJournal? OnlyJournal(string history) =>
        Directory.Exists(history) && Directory.GetFiles(history, "journal.json", SearchOption.AllDirectories).SingleOrDefault() is { } file ? DrTools.Core.Runbooks.RunJournal.Load(file) : null;

    /// <summary>Waits until the run recorded in <paramref name="history"/> is running its first step.</summary>
    public static Task WaitForFirstStepAsync(string history) =>
        DrTools.Core.Polling.RequireAsync(() => Task.FromResult(OnlyJournal(history)?.Steps[0].Status == DrTools.Core.Runbooks.StepStatus.Running),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50), () => "the long step never started", CancellationToken.None);
}
