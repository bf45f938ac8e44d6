using DrTools.Bench;

// Benchmarks report ratios against a baseline measured in the same run, never absolute pass/fail times.
var benchmarks = new Dictionary<string, Func<int, Task>>
{
    ["sandbox"] = SandboxCreationBenchmark.RunAsync,
    ["switchover"] = SwitchoverBenchmark.RunAsync,
    ["verification"] = VerificationBenchmark.RunAsync,
    ["pitr"] = PointInTimeBenchmark.RunAsync,
    ["patroni"] = PatroniBenchmark.RunAsync,
    ["faults"] = FaultBenchmark.RunAsync,
    ["proxy"] = ProxyBenchmark.RunAsync,
    ["metrics"] = MetricsBenchmark.RunAsync,
    ["mariadb-switchover"] = EngineBenchmarks.MariaDbSwitchoverAsync,
    ["redis-promotion"] = EngineBenchmarks.RedisPromotionAsync,
    ["mariadb-verification"] = EngineBenchmarks.MariaDbVerificationAsync,
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
