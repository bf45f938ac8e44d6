using DrTools.Bench;
using DrTools.Core.Probes;

// Benchmarks report ratios against a baseline measured in the same run, never absolute pass/fail times.
// The switchover benchmarks drill once per probe clients count of --clients (default: 1, the baseline's single
// connection, and the default clients), so that one run states both.
DrillSamples.Timelines = args.Contains("--timelines");
args = [.. args.Where(arg => arg != "--timelines")];
var clientsAt = Array.IndexOf(args, "--clients");
IReadOnlyList<int> clients = [1, ProbeOptions.DefaultClients];
if (clientsAt >= 0)
{
    var counts = args.ElementAtOrDefault(clientsAt + 1)?.Split(',').Select(text => int.TryParse(text, out var count) ? count : 0).ToArray();
    if (counts is not { Length: > 0 } || counts.Any(count => count is < ProbeOptions.MinClients or > ProbeOptions.MaxClients)
        || counts.Distinct().Count() != counts.Length)
    {
        Console.Error.WriteLine($"--clients takes distinct probe clients counts ({ProbeOptions.MinClients} to {ProbeOptions.MaxClients}), "
            + "comma-separated, e.g. --clients 1,4");
        return 2;
    }
    clients = counts;
    args = [.. args[..clientsAt], .. args[(clientsAt + 2)..]];
}
var benchmarks = new Dictionary<string, Func<int, Task>>
{
    ["sandbox"] = SandboxCreationBenchmark.RunAsync,
    ["switchover"] = runs => SwitchoverBenchmark.RunAsync(runs, clients),
    ["verification"] = VerificationBenchmark.RunAsync,
    ["pitr"] = PointInTimeBenchmark.RunAsync,
    ["patroni"] = PatroniBenchmark.RunAsync,
    ["faults"] = FaultBenchmark.RunAsync,
    ["proxy"] = ProxyBenchmark.RunAsync,
    ["metrics"] = MetricsBenchmark.RunAsync,
    ["mariadb-switchover"] = runs => EngineBenchmarks.MariaDbSwitchoverAsync(runs, clients),
    ["redis-promotion"] = runs => EngineBenchmarks.RedisPromotionAsync(runs, clients),
    ["mariadb-verification"] = EngineBenchmarks.MariaDbVerificationAsync,
    ["kubernetes"] = KubernetesBenchmark.RunAsync,
};
var name = args.ElementAtOrDefault(0) ?? "sandbox";
var runs = int.TryParse(args.ElementAtOrDefault(1), out var n) ? n : 10;
if (!benchmarks.TryGetValue(name, out var benchmark))
{
    Console.Error.WriteLine($"unknown benchmark '{name}'; known: {string.Join(", ", benchmarks.Keys)}");
    return 2;
}
await benchmark(runs);
return 0;
