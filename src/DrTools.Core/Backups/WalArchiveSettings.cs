namespace DrTools.Core.Backups;

/// <summary>What archiving was set to: the members now copy each finished WAL segment into the repository.</summary>
public sealed record WalArchiveSettings(string Target, string WalDirectory, string ArchiveCommand);
