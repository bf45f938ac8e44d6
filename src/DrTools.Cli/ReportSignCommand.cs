using System.CommandLine;
using DrTools.Core.Runbooks.Reports;

namespace DrTools.Cli;

/// <summary>drtools report sign: a reviewer's approval recorded in the run's journal, its reports rendered again to show it.</summary>
public static class ReportSignCommand
{
    public static Command Create()
    {
        var journalPath = new Argument<string>("journal") { Description = "The run's journal.json, or its folder in the drill history." };
        var reviewer = new Option<string>("--reviewer")
        {
            Description = "Who approves the report (default DRTOOLS_REVIEWER).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DRTOOLS_REVIEWER") ?? "",
        };
        var note = new Option<string?>("--note") { Description = "A remark recorded with the approval." };
        var command = new Command("sign",
            "Approve a finished run's report: records reviewer, time and the SHA-256 of the journal approved, then re-renders the reports.")
        {
            journalPath, reviewer, note,
        };
        command.SetAction(parse =>
        {
            var signed = ReportSignOff.Sign(parse.GetValue(journalPath)!,
                parse.GetValue(reviewer)!, parse.GetValue(note), DateTimeOffset.UtcNow);
            var approval = signed.Approval!;
            Console.WriteLine($"run {signed.Id} approved by {approval.Reviewer} at {approval.ApprovedAt:u}");
            Console.WriteLine($"  approved journal SHA-256: {approval.ApprovedJournalSha256}");
            Console.WriteLine($"  journal SHA-256 now:      {signed.ContentSha256()}");
            Console.WriteLine($"  reports rendered again in {signed.Folder}, each printing that SHA-256");
            return ExitCodes.Success;
        });
        return command;
    }
}
