using System.Globalization;

namespace DrTools.Core.Probes;

public sealed record ProbeOptions
{
    /// <summary>
    /// The rates a probe client can keep: below one attempt in ten seconds an outage has no resolution; above 1,000/s (all
    /// clients together) it is a load test.
    /// </summary>
    public const double MinRate = 0.1, MaxRate = 1000;
    /// <summary>The clients a probe can run: one is a single connection; more than 64 is a load test.</summary>
    public const int MinClients = 1, MaxClients = 64, DefaultClients = 4;
    /// <summary>Each client's attempts per second unless told.</summary>
    public const double DefaultRate = 20;
    /// <summary>What the probe rate option does, the same words on every surface that takes it.</summary>
    public const string RateHelp = "Probe attempts per second of each probe client, for the write and the read probe (default "
        + "20; all clients together at most 1000): the clients' attempts are staggered evenly, so together they attempt "
        + "clients times as often.";
    /// <summary>What the probe clients option does, the same words on every surface that takes it.</summary>
    public const string ClientsHelp = "Probe clients writing (and reading) at once, as an application's pool does (default 4, "
        + "1 to 64), each at the probe rate, staggered evenly; with two or more, the last opens a new connection for every "
        + "attempt, so a path that serves open connections but not new ones is seen. The RTO figure is the window from the last "
        + "acknowledgement of any client before the first failed attempt to the first after the last one: each edge within one "
        + "client's interval (1/rate), within 1/(rate x clients) where every client failed together.";
    /// <summary>Attempts per second of each client; the clients' attempts are staggered evenly over one interval.</summary>
    public double Rate { get; init; } = DefaultRate;
    /// <summary>
    /// Clients writing (or reading) at once, as an application's pool does: each at <see cref="Rate"/>, their attempts
    /// staggered by 1/(Rate x Clients). With two or more, the last opens a new connection for every attempt (a pool under
    /// churn): a path that still serves open connections but not new ones fails it alone.
    /// </summary>
    public int Clients { get; init; } = DefaultClients;
    /// <summary>
    /// With two or more <see cref="Clients"/>, how many of them (the last ones) open a new connection for every attempt:
    /// one unless told. A drill that sees the writer only through an endpoint runs three, at <see cref="ChurnRate"/>: a
    /// proxy whose health checks flap misroutes new connections for a few tens of milliseconds at a time, and one client,
    /// whose next attempt waits for its connection, lands in such a flap only by chance.
    /// </summary>
    public int ChurningClients { get; init; } = 1;
    /// <summary>The own rate of the clients that open a new connection for every attempt, when not <see cref="Rate"/>.</summary>
    public double? ChurnRate { get; init; }
    /// <summary>
    /// How the probe reaches the cluster; default: every member in one multi-host connection string, as an application would.
    /// </summary>
    public string? ConnectionString { get; init; }
    /// <summary>Per attempt: connecting plus the statement. A longer attempt counts as failed, and ends then.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the probe has a client that opens a new connection for every attempt (the last one).</summary>
    public bool Churns => Clients > 1;

    /// <summary>Whether client <paramref name="client"/> (1 to <see cref="Clients"/>) opens a new connection for every attempt.</summary>
    public bool Churning(int client) => Churns && client > Clients - ChurningClients;

    /// <summary>The attempts per second of client <paramref name="client"/>.</summary>
    public double RateOf(int client) => Churning(client) && ChurnRate is { } churn ? churn : Rate;

    /// <summary>All clients' attempts per second together.</summary>
    public double TotalRate => Enumerable.Range(1, Clients).Sum(RateOf);

    /// <summary>One client's interval between attempts: the resolution of each edge of a window.</summary>
    public TimeSpan Interval => TimeSpan.FromSeconds(1 / Rate);

    /// <summary>The interval between the clients' staggered attempts, all clients together.</summary>
    public TimeSpan Stagger => TimeSpan.FromSeconds(1 / (Rate * Clients));

    /// <summary>The probe's clients for reports: "4 clients, the last opening a new connection for every attempt".</summary>
    public string ClientsText => Clients == 1
        ? "1 client keeping its connection open"
        : $"{Clients} clients, {Clients - ChurningClients} keeping a connection open and "
            + (ChurningClients == 1 ? $"client {Clients}" : $"clients {Clients - ChurningClients + 1} to {Clients}")
            + " opening a new one for every attempt"
            + (RateOf(Clients) == Rate ? "" : $" at {RateOf(Clients).ToString(CultureInfo.InvariantCulture)}/s");

    /// <summary>Refuses a rate or a number of clients out of range, in one line naming it.</summary>
    public void Check()
    {
        if (Rate is <= 0 or > MaxRate || ChurnRate is <= 0 or > MaxRate)
        {
            throw new DrToolsException($"probe rate {(Rate is <= 0 or > MaxRate ? Rate : ChurnRate)}/s is out of range (more than 0, "
                + $"at most {MaxRate}).",
                DrErrorKind.InvalidArgument);
        }
        if (Clients is < MinClients or > MaxClients)
        {
            throw new DrToolsException($"probe clients {Clients} is out of range ({MinClients} to {MaxClients}).",
                DrErrorKind.InvalidArgument);
        }
        if (Clients > 1 && (ChurningClients < 1 || ChurningClients >= Clients))
        {
            throw new DrToolsException($"churning probe clients {ChurningClients} is out of range (1 to {Clients - 1} of {Clients}).",
                DrErrorKind.InvalidArgument);
        }
        if (TotalRate > MaxRate)
        {
            throw new DrToolsException($"probe rate {Rate}/s for each of {Clients} probe clients is {TotalRate} attempts per "
                + $"second: at most {MaxRate} for all clients together (a lower probe rate, or fewer clients).",
                DrErrorKind.InvalidArgument);
        }
    }
}
