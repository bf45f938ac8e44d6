using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Runbooks;
using DrTools.Core.Runbooks.Reports;
using Spectre.Console;
using ReportText = DrTools.Core.Runbooks.Reports.Report;

namespace DrTools.Cli;

/// <summary>drtools run / validate / report / history: runbooks, their reports and the drill history.</summary>
public static class RunbookCommands
{
    private static Argument<string> RunbookFile() => new("file") { Description = "The runbook (YAML)." };

    internal static Option<string?> History() =>
        new("--history") { Description = "Drill history folder (default DRTOOLS_HISTORY or ~/.local/share/drtools/history)." };

    public static Command Run()
    {
        var file = RunbookFile();
        var history = History();
        var reportDirectory = new Option<string?>("--report-dir")
        {
            Description = "Also write the reports (report.md, report.html, junit.xml, nunit.xml, journal.json, and history.jsonl "
                + "when a drill wrote one) into this folder, e.g. for CI artifacts.",
        };
        var tester = new Option<string?>("--tester") { Description = "Who runs the drill, for the report (default the OS user)." };
        var root = CommonOptions.SandboxRoot();
        var variables = new Option<string[]>("--var")
        {
            Description = "NAME=VALUE: a value for one of the runbook's variables (variables:), over its default; repeat per variable.",
        };
        var command = new Command("run",
            "Run a runbook: targets, pre-checks, steps under abort conditions, cleanup that always runs; writes the journal and reports to "
            + "the drill history. Exit 0 passed, 1 failed/aborted/objective not met, 2 invalid runbook, 130 cancelled.")
        {
            file, history, reportDirectory, tester, root, variables,
        };
        command.SetAction(async (parse, token) =>
        {
            var runbook = RunbookParser.Load(parse.GetValue(file)!, cancellationToken: token)
                .WithVariables((parse.GetValue(variables) ?? []).Select(Variable));
            // Made before anything runs, so a folder that cannot be made fails the run before it starts; removed again
            // when the reports cannot be put in it.
            var directory = parse.GetValue(reportDirectory);
            var made = directory is not null && !Directory.Exists(directory);
            if (directory is not null) AtomicFile.MakeFolder(directory, "the report folder (--report-dir)");
            RunJournal journal;
            try
            {
                journal = await RunbookExecutor.RunAsync(runbook, new RunbookRunOptions
                {
                    HistoryRoot = parse.GetValue(history),
                    Tester = parse.GetValue(tester),
                    SandboxRoot = parse.GetValue(root),
                    Observer = new ConsoleObserver(),
                }, token);
                Summarize(journal);
                if (directory is not null)
                {
                    ReportText.CopyAll(journal, directory);
                    Console.WriteLine($"reports copied to {Path.GetFullPath(directory)}");
                }
            }
            catch when (made)
            {
                AtomicFile.RemoveEmptyFolder(directory!);
                throw;
            }
            return journal.Status switch
            {
                RunStatus.Passed => ExitCodes.Success,
                RunStatus.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.NotMet,
            };
        });
        return command;
    }

    /// <summary>One --var NAME=VALUE.</summary>
    private static KeyValuePair<string, string> Variable(string pair) => pair.IndexOf('=') is var at and > 0
        ? KeyValuePair.Create(pair[..at].Trim(), pair[(at + 1)..])
        : throw new DrToolsException($"--var '{pair}': write it as NAME=VALUE, e.g. namespace=backup-system.", DrErrorKind.InvalidArgument);

    public static Command Validate()
    {
        var file = RunbookFile();
        var command = new Command("validate",
            "Check a whole runbook without running anything: YAML, operations, parameters and their types, targets, variables, objectives. "
            + "Exit 0 valid, 2 with every problem as FILE:LINE:COLUMN.") { file };
        command.SetAction((parse, token) =>
        {
            var runbook = RunbookParser.Load(parse.GetValue(file)!, cancellationToken: token);
            Console.WriteLine($"{runbook.Source}: valid: '{runbook.Name}', {runbook.Targets.Count} target(s), {runbook.PreChecks.Count} "
                + $"pre-check(s), {runbook.Steps.Count} step(s), {runbook.AbortConditions.Count} abort condition(s), "
                + $"{runbook.Cleanup.Count} cleanup step(s)");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    public static Command Report()
    {
        var journalPath = new Argument<string>("journal") { Description = "A run's journal.json, or its folder in the drill history." };
        var format = new Option<string>("--format", "-f")
        {
            Description = $"{ReportFormats.Choices} (headless Chromium prints the HTML report to PDF; needs --output).",
            DefaultValueFactory = _ => "markdown",
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to this file instead of standard output." };
        var command = new Command("report", "Render a run's report from its journal; 'report sign' records a reviewer's approval.")
        {
            journalPath, format, output, ReportSignCommand.Create(),
        };
        command.SetAction(async (parse, token) =>
        {
            var journal = RunJournal.Find(parse.GetValue(journalPath)!);
            var chosen = ReportFormats.Parse(parse.GetValue(format)!, "--format");
            if (parse.GetValue(output) is { } file) await ReportText.WriteAsync(journal, chosen, file, token);
            else if (chosen == ReportFormat.Pdf)
            {
                throw new DrToolsException("--format pdf writes a file: give --output FILE.", DrErrorKind.InvalidArgument);
            }
            else Console.Write(ReportText.Render(journal, chosen));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command HistoryCommand()
    {
        var history = History();
        var json = CommonOptions.Json();
        var command = new Command("history", "Per drill and target: runs, passes, average duration, last result and mean time to recover; "
            + "history check re-checks a run's probe history.")
        {
            history, json, HistoryCheckCommand.Create(),
        };
        command.SetAction(parse =>
        {
            var entries = DrillHistory.Summarize(DrillHistory.Runs(parse.GetValue(history)));
            if (parse.GetValue(json))
            {
                Output.Json(entries);
                return ExitCodes.Success;
            }
            Output.Table(["DRILL", "TARGET", "RUNS", "PASSED", "AVG DURATION", "LAST", "MTTR"], entries.Select(e => new[]
            {
                e.Drill, e.Target, e.Runs.ToString(), e.Passed.ToString(), ReportText.Seconds(e.AverageDurationSeconds),
                $"{e.LastResult.ToString().ToLowerInvariant()} {e.LastRunAt:u}",
                e.MeanTimeToRecoverSeconds is { } mttr ? $"{ReportText.Seconds(mttr)} over {e.RecoveriesMeasured}" : "-",
            }));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Summarize(RunJournal journal)
    {
        Console.WriteLine();
        AnsiConsole.MarkupLine($"{Markup.Escape(journal.Runbook)}: {Verdict(journal.Status)} in "
            + $"{ReportText.Seconds(journal.Duration)}"
            + (journal.AbortReason is { } reason ? $" ({Markup.Escape(PrintableText.OneLine(reason))})" : ""));
        foreach (var objective in journal.Objectives)
        {
            Console.WriteLine(objective.Measurement is { } figure
                ? $"  {objective.Name.ToUpperInvariant()}: {figure}"
                : $"  {objective.Name.ToUpperInvariant()}: not measured ({PrintableText.OneLine(objective.NotMeasuredBecause ?? "")})");
        }
        // A server's error text may hold line breaks: a line of its own there could pass for a verdict line.
        foreach (var issue in journal.Issues) Console.WriteLine($"  issue: {PrintableText.OneLine(issue)}");
        Console.WriteLine($"journal and reports: {journal.Folder}");
    }

    private static string Verdict(RunStatus status) => status switch
    {
        RunStatus.Passed => "[green]PASSED[/]",
        RunStatus.Aborted => "[red]ABORTED[/]",
        RunStatus.Cancelled => "[yellow]CANCELLED[/]",
        RunStatus.Killed => "[red]KILLED[/]",
        _ => "[red]FAILED[/]",
    };

    /// <summary>Live progress: a line as each step starts and ends, on the run's clock.</summary>
    private sealed class ConsoleObserver : IRunObserver
    {
        public ConsoleObserver()
        {
            // Into a log or a CI console: plain lines, never wrapped at a guessed width.
            if (Console.IsOutputRedirected)
            {
                AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No,
                    ColorSystem = ColorSystemSupport.NoColors });
                AnsiConsole.Profile.Width = 1000;
            }
        }

        public void StepStarted(StepRecord step) =>
            AnsiConsole.MarkupLine($"[grey]+{ReportText.Seconds(step.StartedAt)}[/] {Markup.Escape(step.Label)} "
                + $"[grey]({Markup.Escape(step.Operation)})[/] ...");

        public void StepFinished(StepRecord step) =>
            AnsiConsole.MarkupLine($"[grey]+{ReportText.Seconds(step.StartedAt + step.Duration)}[/] {Markup.Escape(step.Label)}: "
                + $"{Status(step.Status)} in {ReportText.Seconds(step.Duration)}"
                + ((step.Message ?? step.Summary) is { } detail ? $" [grey]— {Markup.Escape(PrintableText.OneLine(detail))}[/]" : ""));

        public void Note(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(PrintableText.OneLine(message))}[/]");

        private static string Status(StepStatus status) => status switch
        {
            StepStatus.Passed => "[green]PASS[/]",
            StepStatus.Skipped => "[grey]skipped[/]",
            _ => $"[red]{status.ToString().ToUpperInvariant()}[/]",
        };
    }
}
