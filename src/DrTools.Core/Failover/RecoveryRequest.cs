namespace DrTools.Core.Failover;

/// <summary>
/// What a user asked of a drill's recovery, whatever the surface (cmdlet, drtools, runbook step): who recovers, and what
/// only PostgreSQL's drills take. A refusal names each option as the surface does, through <paramref name="OptionName"/>
/// (dataDirectory → --data-directory, -DataDirectory, dataDirectory).
/// </summary>
public sealed record RecoveryRequest(Func<string, string> OptionName)
{
    public RecoveredBy? RecoveredBy { get; init; }
    public IReadOnlyList<string>? DataDirectories { get; init; }
    public string? FaultCommand { get; init; }
    public string? StopCommand { get; init; }

    /// <summary>With an unknown HA manager: the user's own action (a PowerShell script block) instead of a fault command.</summary>
    public Func<CancellationToken, Task<string>>? FaultScript { get; init; }

    /// <summary>Whether Patroni REST APIs were given with the target (they are already part of a PostgreSQL target).</summary>
    public bool PatroniGiven { get; init; }

    /// <summary>The options only PostgreSQL's drills take, by the surface's names, and whether each was given.</summary>
    internal IEnumerable<(string Option, bool Given)> PostgresOnly() =>
    [
        (OptionName("patroni"), PatroniGiven),
        (OptionName("dataDirectory"), DataDirectories is { Count: > 0 }),
        (OptionName("faultCommand"), FaultCommand is not null),
        (OptionName("stopCommand"), StopCommand is not null),
        (OptionName("faultScript"), FaultScript is not null),
    ];
}
