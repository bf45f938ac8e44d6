namespace DrTools.Core.Runbooks;

/// <summary>A reviewer's sign-off: who, when, and the SHA-256 of the journal they approved (before the approval was added).</summary>
public sealed record RunApproval(string Reviewer, DateTimeOffset ApprovedAt, string ApprovedJournalSha256, string? Note = null);
