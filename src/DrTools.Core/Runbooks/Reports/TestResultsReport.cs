using System.Globalization;
using System.Xml.Linq;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>
/// A run as test results, so CI systems show a drill as tests: each step and each objective a test case, and the run
/// itself when it was aborted, cancelled or killed. Written as JUnit XML, or as NUnit 2.5 XML (what Pester writes).
/// </summary>
internal static class TestResultsReport
{
    private enum Outcome { Passed, Failed, Skipped }

    private sealed record TestCase(string ClassName, string Name, TimeSpan? Time, Outcome Outcome, string? Type = null,
        string? Message = null);

    private static List<TestCase> Cases(RunJournal journal)
    {
        var steps = journal.Steps.Select(step => new TestCase($"{journal.Runbook}.{step.Section.Label()}", $"{step.Index + 1}: {step.Name}",
            step.Duration, Outcome.Passed) switch
        {
            var passed when step.Status == StepStatus.Passed => passed,
            var notRun when step.Status is StepStatus.Skipped or StepStatus.Pending => notRun with { Outcome = Outcome.Skipped,
                Message = step.Message ?? "not run" },
            var tolerated when step.ContinueOnError => tolerated with { Outcome = Outcome.Skipped,
                Message = $"failed, continueOnError: {step.Message}" },
            var failed => failed with { Outcome = Outcome.Failed, Type = step.Status.ToString(),
                Message = $"{step.Label} ({step.Operation}): {step.Message}" },
        });
        var objectives = journal.Objectives.Select(objective => new TestCase($"{journal.Runbook}.objectives",
            objective.Name.ToUpperInvariant(), null,
            objective.Met ? Outcome.Passed : Outcome.Failed, "ObjectiveNotMet",
            objective.Met ? null : objective.Measurement is { } m ? $"{objective.Name.ToUpperInvariant()} not met: {m}"
                : $"{objective.Name.ToUpperInvariant()} not measured: {objective.NotMeasuredBecause}"));
        var run = journal.AbortReason is { } reason ? [new TestCase($"{journal.Runbook}.run", "completed", journal.Duration, Outcome.Failed,
            journal.Status.ToString(), reason)] : Array.Empty<TestCase>();
        return [.. steps, .. objectives, .. run];
    }

    public static string RenderJUnit(RunJournal journal)
    {
        var cases = Cases(journal);
        var failures = cases.Count(c => c.Outcome == Outcome.Failed);
        var suite = new XElement("testsuite",
            new XAttribute("name", journal.Runbook),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("skipped", cases.Count(c => c.Outcome == Outcome.Skipped)),
            new XAttribute("time", Seconds(journal.Duration)),
            new XAttribute("timestamp", journal.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XAttribute("hostname", journal.Host),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "status"), new XAttribute("value", journal.Status)),
                new XElement("property", new XAttribute("name", "runId"), new XAttribute("value", journal.Id))),
            cases.Select(c => new XElement("testcase", new XAttribute("classname", c.ClassName), new XAttribute("name", c.Name),
                new XAttribute("time", Seconds(c.Time)), c.Outcome switch
            {
                Outcome.Failed => new XElement("failure", new XAttribute("type", c.Type!), new XAttribute("message", c.Message!),
                    c.Message),
                Outcome.Skipped => new XElement("skipped", new XAttribute("message", c.Message!)),
                _ => null,
            })));
        return Document(new XElement("testsuites", new XAttribute("name", "DrTools"), new XAttribute("tests", cases.Count),
            new XAttribute("failures", failures), new XAttribute("time", Seconds(journal.Duration)), suite));
    }

    /// <summary>NUnit 2.5 results, the format Pester's own -OutputFormat NUnitXml writes, for tools that read that.</summary>
    public static string RenderNUnit(RunJournal journal)
    {
        var cases = Cases(journal);
        var failures = cases.Count(c => c.Outcome == Outcome.Failed);
        var started = journal.StartedAt.UtcDateTime;
        var suite = new XElement("test-suite",
            new XAttribute("type", "TestFixture"), new XAttribute("name", journal.Runbook), new XAttribute("executed", "True"),
            new XAttribute("result", failures == 0 ? "Success" : "Failure"), new XAttribute("success", failures == 0 ? "True" : "False"),
            new XAttribute("time", Seconds(journal.Duration)), new XAttribute("asserts", 0),
            new XElement("results", cases.Select(c => new XElement("test-case",
                new XAttribute("name", $"{c.ClassName}.{c.Name}"), new XAttribute("description", c.Name),
                new XAttribute("executed", c.Outcome == Outcome.Skipped ? "False" : "True"),
                new XAttribute("result", c.Outcome switch { Outcome.Passed => "Success", Outcome.Failed => "Failure", _ => "Ignored" }),
                c.Outcome == Outcome.Skipped ? null : new XAttribute("success", c.Outcome == Outcome.Passed ? "True" : "False"),
                new XAttribute("time", Seconds(c.Time)), new XAttribute("asserts", 0),
                c.Outcome switch
                {
                    Outcome.Failed => new XElement("failure", new XElement("message", c.Message), new XElement("stack-trace", "")),
                    Outcome.Skipped => new XElement("reason", new XElement("message", c.Message)),
                    _ => null,
                }))));
        return Document(new XElement("test-results",
            new XAttribute("name", journal.Runbook), new XAttribute("total", cases.Count), new XAttribute("errors",
                0), new XAttribute("failures", failures),
            new XAttribute("not-run", cases.Count(c => c.Outcome == Outcome.Skipped)), new XAttribute("inconclusive",
                0), new XAttribute("ignored", 0),
            new XAttribute("skipped", 0), new XAttribute("invalid", 0),
            new XAttribute("date", started.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), new XAttribute("time",
                started.ToString("HH:mm:ss", CultureInfo.InvariantCulture)),
            new XElement("environment", new XAttribute("machine-name", journal.Host), new XAttribute("user", journal.Tester),
                new XAttribute("nunit-version", "2.5.8.0"),
                new XAttribute("platform", "Linux"), new XAttribute("clr-version", Environment.Version.ToString()), new XAttribute("cwd",
                    Environment.CurrentDirectory),
                new XAttribute("os-version", Environment.OSVersion.Version.ToString()), new XAttribute("user-domain", journal.Host)),
            new XElement("culture-info", new XAttribute("current-culture", "en-US"), new XAttribute("current-uiculture", "en-US")),
            suite));
    }

    /// <summary>
    /// The document, its texts made valid XML 1.0 and one line each: a control character or a line break in a step name
    /// or an error is shown as an escape (a line of its own could pass for another result).
    /// </summary>
    private static string Document(XElement root)
    {
        foreach (var attribute in root.DescendantsAndSelf().SelectMany(e => e.Attributes()))
        {
            attribute.Value = PrintableText.OneLine(attribute.Value);
        }
        foreach (var text in root.DescendantNodes().OfType<XText>()) text.Value = PrintableText.OneLine(text.Value);
        return $"{new XDeclaration("1.0", "utf-8", null)}\n{root}";
    }

    private static string Seconds(TimeSpan? time) => (time?.TotalSeconds ?? 0).ToString("0.###", CultureInfo.InvariantCulture);
}
