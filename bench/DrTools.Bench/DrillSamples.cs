using DrTools.Core.Failover;
using DrTools.Core.Probes;

namespace DrTools.Bench;

/// <summary>
/// A drill benchmark's write unavailability and lost writes for each probe clients count it runs. One client keeping its
/// connection open is the load of the probe before clients (the baseline's); the default clients add a connection per
/// attempt and measure the window across all of them, which is a wider figure by what it measures, not a slower failover.
/// </summary>
public sealed class DrillSamples
{
    /// <summary>Each client's attempts per second, write and read probes: 5 ms resolution per client.</summary>
    public const double Rate = 200;

    /// <summary>Every drill's timeline printed under its run (--timelines), not only an outlier's: where the time went.</summary>
    public static bool Timelines { get; set; }

    private readonly IReadOnlyList<int> clients;
    private readonly Dictionary<int, List<double>> unavailability;
    private readonly Dictionary<int, long> lost;

    public DrillSamples(IReadOnlyList<int> clients)
    {
        this.clients = clients;
        unavailability = clients.ToDictionary(count => count, _ => new List<double>());
        lost = clients.ToDictionary(count => count, _ => 0L);
    }

    /// <summary>Clients counts in a run's order: reversed every other run, so that no count always drills the same way round.</summary>
    public IEnumerable<int> Order(int run) => run % 2 == 1 ? clients : clients.Reverse();

    /// <summary>A switchover with write and read probes of <paramref name="count"/> clients at <see cref="Rate"/> each.</summary>
    public static FailoverOptions Options(int count) => new()
    {
        Mode = FailoverMode.Switchover,
        WriteProbe = new ProbeOptions { Rate = Rate, Clients = count },
        ReadProbe = new ProbeOptions { Rate = Rate, Clients = count },
    };

    /// <summary>Records one drill; returns its part of the run's line ("0.190s, lost 0 (1 client)").</summary>
    public string Add(int count, double seconds, long lostWrites)
    {
        unavailability[count].Add(seconds);
        lost[count] += lostWrites;
        return $"{seconds:0.000}s, lost {lostWrites} ({Clients(count)})";
    }

    /// <summary>A row per clients count: median, max, lost writes, the ratio to the floor and the target.</summary>
    public void Print(double floorMedian, double target)
    {
        foreach (var count in clients)
        {
            var median = Statistics.Median(unavailability[count]);
            var met = median <= target && lost[count] == 0 ? "met" : "NOT met";
            Console.WriteLine($"  {Clients(count)}: write unavailability median {median:0.000}s, "
                + $"max {unavailability[count].Max():0.000}s; lost acknowledged writes {lost[count]}; "
                + $"ratio median / floor = {median / floorMedian:0.0}; target median <= {target:0.000}s with 0 lost: {met}");
        }
    }

    private static string Clients(int count) => count == 1 ? "1 client" : $"{count} clients";
}
