using DrTools.Core.Runbooks;

namespace DrTools.Core.Tests;

/// <summary>notify: a run tells webhooks of its start, abort and end; a webhook that fails never fails the drill.</summary>
public sealed class NotificationTests
{
    private static async Task<RunJournal> RunAsync(string yaml, TemporaryRoot root)
    {
        using var history = new TemporaryRoot();
        return await RunbookExecutor.RunAsync(RunbookParser.Parse(yaml, "notify.yml"), new RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path }, CancellationToken.None);
    }

    [Fact]
    public async Task Webhooks_hear_the_start_and_the_end_with_the_verdict_and_the_report_in_their_own_format()
    {
        using var root = new TemporaryRoot();
        using var plain = new WebhookReceiver();
        using var slack = new WebhookReceiver();
        using var teams = new WebhookReceiver();

        var journal = await RunAsync($$"""
            name: Notified drill
            objectives: { rto: 60s }
            notify:
              - "{{plain.Url}}"
              - { url: "{{slack.Url}}", format: slack }
              - { url: "{{teams.Url}}", format: teams }
            targets: { db: { sandbox: { standbys: 0 } } }
            steps:
              - { name: Healthy, run: Get-DbClusterStatus, with: { target: db }, objective: rto }
            """, root);

        Assert.Equal(RunStatus.Passed, journal.Status);
        Assert.Empty(journal.Issues);
        var events = plain.Bodies;
        Assert.Equal(["start", "end"], events.Select(e => e.GetProperty("event").GetString()));
        var end = events[1];
        Assert.Equal(("Notified drill", journal.Id, "Passed"), (end.GetProperty("drill").GetString(), end.GetProperty("runId").GetString(), end.GetProperty("status").GetString()));
        Assert.Equal(Path.Combine(journal.Folder!, "report.html"), end.GetProperty("report").GetString());
        Assert.Equal("rto", end.GetProperty("objectives")[0].GetProperty("name").GetString());
        Assert.StartsWith("DrTools drill 'Notified drill' ended: PASSED in ", slack.Bodies[1].GetProperty("text").GetString());
        Assert.Contains("RTO met", slack.Bodies[1].GetProperty("text").GetString());
        Assert.Equal(("MessageCard", "2EB886"), (teams.Bodies[1].GetProperty("@type").GetString(), teams.Bodies[1].GetProperty("themeColor").GetString()));
    }

    [Fact]
    public async Task A_webhook_that_fails_or_hangs_is_an_issue_of_the_report_and_the_drill_still_passes()
    {
        using var root = new TemporaryRoot();
        using var failing = new WebhookReceiver(status: 500);
        using var hanging = new WebhookReceiver(hang: true);

        var journal = await RunAsync($$"""
            name: Badly notified drill
            notify: ["{{failing.Url}}", "{{hanging.Url}}"]
            targets: { db: { sandbox: { standbys: 0 } } }
            steps:
              - { name: Healthy, run: Get-DbClusterStatus, with: { target: db } }
            """, root);

        Assert.Equal(RunStatus.Passed, journal.Status);
        var host = new Uri(failing.Url).Authority;
        Assert.Contains($"notification of the run's start to http://{host}/… failed after 3 attempts: 500 Internal Server Error", journal.Issues);
        Assert.Contains($"notification of the run's end to http://{host}/… failed after 3 attempts: 500 Internal Server Error", journal.Issues);
        Assert.Contains($"notification of the run's end to http://{new Uri(hanging.Url).Authority}/… failed after 3 attempts: no answer within 5s", journal.Issues);
        Assert.Equal(6, failing.Received.Count);
        var markdown = Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Markdown);
        Assert.Contains("failed after 3 attempts: 500 Internal Server Error", markdown);
        // The webhook's path is its secret: no report shows it.
        Assert.DoesNotContain("secret-token", markdown);
        Assert.DoesNotContain("secret-token", string.Join("\n", journal.Issues));
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task An_abort_is_told_as_it_happens_with_its_reason()
    {
        using var root = new TemporaryRoot();
        using var hook = new WebhookReceiver();
        using var health = new HealthEndpoint { Healthy = false };

        var journal = await RunAsync($$"""
            name: Aborted drill
            notify: "{{hook.Url}}"
            targets: { db: { sandbox: { standbys: 0 } } }
            abortConditions:
              - { name: Application health, http: "{{health.Url}}", interval: 200ms }
            steps:
              - { name: Long query, run: Invoke-DbQuery, with: { target: db, query: "select pg_sleep(60)" } }
            """, root);

        Assert.Equal(RunStatus.Aborted, journal.Status);
        Assert.Equal(["start", "abort", "end"], hook.Bodies.Select(e => e.GetProperty("event").GetString()));
        Assert.Contains("abort condition 'Application health' tripped", hook.Bodies[1].GetProperty("reason").GetString());
        Assert.Equal("Aborted", hook.Bodies[2].GetProperty("status").GetString());
    }
}
