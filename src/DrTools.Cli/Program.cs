using System.CommandLine;
using System.Runtime.InteropServices;
using DrTools.Cli;
using DrTools.Core;

// Ctrl+C and SIGTERM cancel the running operation, which then cleans up (stops what it started, deletes what it made)
// before the process exits: the default handling would exit after a fixed grace period, cleanup finished or not.
using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    Stopping.Stop(stopping);
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

// Every line printed, results and errors alike, is masked of passwords and of raw control characters.
using var standardOutput = new SafeConsoleWriter(Console.Out);
using var standardError = new SafeConsoleWriter(Console.Error);
Console.SetOut(TextWriter.Synchronized(standardOutput));
Console.SetError(TextWriter.Synchronized(standardError));

var root = DrtoolsCommand.Create();
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // Exit code 1 means "ran, and a target was not met": bad input must not look like that.
    foreach (var line in ParseErrorText.Lines(parse)) Console.Error.WriteLine($"drtools: {line}");
    return ExitCodes.Error;
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false },
        stopping.Token);
}
catch (DrToolsException e)
{
    Console.Error.WriteLine($"drtools: {e.Message}");
    return ExitCodes.Error;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    // A file-system failure no layer named (a full or read-only disk): one line with the path .NET names, never a crash.
    Console.Error.WriteLine($"drtools: {e.Message.Split('\n')[0]}");
    return ExitCodes.Error;
}
catch (OperationCanceledException e) when (stopping.IsCancellationRequested)
{
    // A drill cancelled part-way says where it left the cluster; anything else only that it cleaned up.
    Console.Error.WriteLine(e.Message.Contains("Cluster now:", StringComparison.Ordinal)
        ? $"drtools: {e.Message}"
        : "drtools: cancelled; everything it had started was stopped and removed.");
    return ExitCodes.Cancelled;
}
finally
{
    Console.Out.Flush();
    Console.Error.Flush();
}
