namespace DrTools.Core.Processes;

/// <summary>An external program DrTools runs, described for error messages by <see cref="Description"/>.</summary>
public sealed record CommandSpec(string Description, string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Run under the PostgreSQL server account (see <see cref="ServerAccount"/>).</summary>
    public bool AsServerAccount { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public bool RequireSuccess { get; init; } = true;

    /// <summary>The file or folder the command writes: named when its output says the disk is full or read-only but not where.</summary>
    public string? Writes { get; init; }
}
