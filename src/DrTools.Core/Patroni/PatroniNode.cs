namespace DrTools.Core.Patroni;

/// <summary>One Patroni-managed node: its PostgreSQL and REST ports and folders.</summary>
public sealed record PatroniNode(string Name, int Port, int RestPort, string DataDirectory, string ServiceDirectory)
{
    public Uri RestUrl => new($"http://127.0.0.1:{RestPort}");
}
