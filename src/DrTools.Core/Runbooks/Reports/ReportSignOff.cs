namespace DrTools.Core.Runbooks.Reports;

/// <summary>
/// A reviewer's sign-off of a run (drtools report sign, Approve-DrReport): recorded in the journal with the time and the
/// SHA-256 of the journal as it was approved, then every report beside it is rendered again to show it.
/// </summary>
public static class ReportSignOff
{
    public static RunJournal Sign(string journalPath, string reviewer, string? note, DateTimeOffset at)
    {
        if (string.IsNullOrWhiteSpace(reviewer))
        {
            throw new DrToolsException("--reviewer: name the reviewer who approves the report.", DrErrorKind.InvalidArgument);
        }
        if (PrintableText.NameProblem(reviewer) is { } problem)
        {
            throw new DrToolsException($"--reviewer / -Reviewer: {problem}", DrErrorKind.InvalidArgument);
        }
        var journal = RunJournal.Find(journalPath);
        var file = Path.Combine(journal.Folder!, RunJournal.FileName);
        if (journal.Status == RunStatus.Running)
        {
            throw new DrToolsException($"run {journal.Id} is still running: sign its report when it has finished.",
                DrErrorKind.InvalidArgument);
        }
        if (journal.Approval is { } approved)
        {
            throw new DrToolsException(
                $"run {journal.Id} was already approved by {approved.Reviewer} at {approved.ApprovedAt:u}; a report is signed once.",
                DrErrorKind.InvalidArgument);
        }
        var content = RunEnvironment.Sha256(File.ReadAllBytes(file));
        var approval = new RunApproval(reviewer.Trim(), at, content, string.IsNullOrWhiteSpace(note) ? null : note.Trim());
        var signed = journal with { Approval = approval };
        // The journal and its reports together: a disk with room for some of them leaves none changed, never a signed
        // journal beside reports that do not show it (and that a second sign would then refuse to render again).
        AtomicFile.WriteAll([(file, System.Text.Encoding.UTF8.GetBytes(signed.ToJson())), .. Report.Files(signed, journal.Folder!)]);
        return signed;
    }
}
