using System.Diagnostics;
using System.Reflection;
using DrTools.Core.Processes;

namespace DrTools.Cli.Tests;

public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string All => StandardOutput + StandardError;
}

/// <summary>Runs the built drtools command as a real process.</summary>
public static class Drtools
{
    private static readonly string Dll = Setting("DrToolsCli");

    public static string RepositoryRoot { get; } = Path.GetFullPath(Setting("RepositoryRoot"));

    private static string Setting(string key) => typeof(Drtools).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static Process Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Dll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
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
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public const int SigInt = 2, SigKill = 9, SigTerm = 15;

    public static void Signal(Process process, int signal) => Assert.True(ProcessTable.Signal(process.Id, signal));
}
