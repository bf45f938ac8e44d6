using System.Globalization;
using System.Xml.Linq;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>JUnit XML: each step and each objective a test case, so CI systems show a drill as tests.</summary>
internal static class JUnitReport
{
    public static string Render(RunJournal journal)
    {
        var steps = journal.Steps.Select(step => Case($"{journal.Runbook}.{step.Section.Label()}", $"{step.Index + 1}: {step.Name}", step.Duration, step.Status switch
        {
            StepStatus.Passed => null,
            StepStatus.Skipped or StepStatus.Pending => new XElement("skipped", new XAttribute("message", step.Message ?? "not run")),
            _ when step.ContinueOnError => new XElement("skipped", new XAttribute("message", $"failed, continueOnError: {step.Message}")),
            _ => Failure(step.Status.ToString(), $"{step.Label} ({step.Operation}): {step.Message}"),
        }));
        var objectives = journal.Objectives.Select(objective => Case($"{journal.Runbook}.objectives", objective.Name.ToUpperInvariant(), null,
            objective.Met ? null : Failure("ObjectiveNotMet", objective.Measurement is { } m ? $"{objective.Name.ToUpperInvariant()} not met: {m}" : $"{objective.Name.ToUpperInvariant()} not measured: {objective.NotMeasuredBecause}")));
        var run = journal.AbortReason is { } reason ? [Case($"{journal.Runbook}.run", "completed", journal.Duration, Failure(journal.Status.ToString(), reason))] : Array.Empty<XElement>();
        var cases = steps.Concat(objectives).Concat(run).ToList();
        var suite = new XElement("testsuite",
            new XAttribute("name", journal.Runbook),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
            new XAttribute("errors", 0),
            new XAttribute("skipped", cases.Count(c => c.Element("skipped") is not null)),
            new XAttribute("time", Seconds(journal.Duration)),
            new XAttribute("timestamp", journal.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XAttribute("hostname", journal.Host),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "status"), new XAttribute("value", journal.Status)),
                new XElement("property", new XAttribute("name", "runId"), new XAttribute("value", journal.Id))),
            cases);
        var document = new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", new XAttribute("name", "DrTools"), new XAttribute("tests", cases.Count),
            new XAttribute("failures", suite.Attribute("failures")!.Value), new XAttribute("time", Seconds(journal.Duration)), suite));
        return $"{document.Declaration}\n{document}";
    }

    private static XElement Case(string className, string name, TimeSpan? time, XElement? result) =>
        new("testcase", new XAttribute("classname", className), new XAttribute("name", name), new XAttribute("time", Seconds(time)), result);

    private static XElement Failure(string type, string message) => new("failure", new XAttribute("type", type), new XAttribute("message", message), message);

    private static string Seconds(TimeSpan? time) => (time?.TotalSeconds ?? 0).ToString("0.###", CultureInfo.InvariantCulture);
}
