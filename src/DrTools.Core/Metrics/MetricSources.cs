using DrTools.Core.Postgres;

namespace DrTools.Core.Metrics;

/// <summary>What the metrics are read from: clusters, backup repositories, and the drill history.</summary>
public sealed record MetricSources
{
    public IReadOnlyList<DbTarget> Targets { get; init; } = [];
    /// <summary>Folders of backup repositories.</summary>
    public IReadOnlyList<string> Repositories { get; init; } = [];
    /// <summary>The drill history folder (default DRTOOLS_HISTORY …); null with <see cref="History"/> false.</summary>
    public string? HistoryRoot { get; init; }
    public bool History { get; init; } = true;
}
