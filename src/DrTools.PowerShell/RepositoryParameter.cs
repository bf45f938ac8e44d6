namespace DrTools.PowerShell;

internal static class RepositoryParameter
{
    public const string Help = "The backup repository folder (catalog.json, backups/, wal/); created by the first backup.";
}
