using System.Text.Json;
using System.Text.Json.Serialization;
using DrTools.Core;
using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Replication;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>How results are written: JSON for machines, aligned text for people. Never a password: sandboxes are written through a
/// projection without one.</summary>
public static class Output
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Json(object value) => Console.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public static object Describe(Sandbox sandbox) => new
    {
        sandbox.Id, sandbox.Engine, sandbox.Directory, sandbox.Topology, sandbox.Synchronous, sandbox.FaultProxy, sandbox.Monitoring,
        sandbox.CreatedAt, sandbox.ArchiveDirectory, sandbox.AdminUser, sandbox.ApplicationUser, sandbox.Members, sandbox.Patroni,
        sandbox.Sentinels,
    };

    /// <summary>An enum value as words in a table: NotASandbox → not-a-sandbox.</summary>
    public static string Words(string pascalCase) => System.Text.RegularExpressions.Regex.Replace(pascalCase,
        "(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-").ToLowerInvariant();

    public static void Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, column) => column == row.Length - 1 ? cell
                : cell.PadRight(widths[column]))).TrimEnd());
        }
    }

    public static void Sandbox(Sandbox sandbox)
    {
        Console.WriteLine($"{sandbox.Engine} sandbox {sandbox.Id} in {sandbox.Directory}{(sandbox.Synchronous ? " (synchronous)" : "")}");
        Table(["MEMBER", "ENDPOINT", "DATA"], sandbox.Members.Select(m => new[] { m.Name,
            $"127.0.0.1:{m.ClientPort}{(m.ProxyPort is null ? "" : $" (fault proxy to {m.Port})")}", m.DataDirectory }));
        if (sandbox.ApplicationUser is { } application)
        {
            Console.WriteLine($"Accounts (the password is in sandbox.json): applications connect as '{application}'@'127.0.0.1', which "
                + $"read_only stops; '{sandbox.AdminUser}'@'127.0.0.1' is DrTools' admin account and writes through read_only");
        }
        if (sandbox.Patroni is { } patroni)
        {
            Console.WriteLine($"Patroni ({string.Join(", ", sandbox.PatroniSettingValues.Select(s => $"{s.Key}={s.Value}"))}), etcd "
                + $"127.0.0.1:{patroni.EtcdPort}, REST APIs "
                + $"{string.Join(", ", sandbox.PatroniNodes.Select(n => $"{n.Name} {n.RestUrl}"))}");
            Console.WriteLine($"HAProxy: read-write 127.0.0.1:{patroni.WritePort}, read-only 127.0.0.1:{patroni.ReadPort}, statistics "
                + $"{patroni.StatsUrl}");
        }
        if (sandbox.Sentinels.Count > 0) Console.WriteLine($"Sentinels (master name {Core.Redis.RedisEngine.SentinelMaster}): "
            + $"{string.Join(", ", sandbox.Sentinels.Select(s => $"{s.Name} 127.0.0.1:{s.Port}"))}");
        if (sandbox.Monitoring is { } monitoring)
        {
            Console.WriteLine($"Monitoring: Prometheus {monitoring.Prometheus}, Alertmanager {monitoring.Alertmanager}, DrTools' metrics "
                + $"{monitoring.Metrics}, postgres_exporter "
                + $"{string.Join(", ", monitoring.ExporterPorts.Select(e => $"{e.Key} 127.0.0.1:{e.Value}"))}");
        }
    }

    /// <summary>sandbox list: each cluster's engine and topology (a run's scratch folder says so); none says so in words.</summary>
    public static void SandboxList(IReadOnlyList<SandboxInfo> items)
    {
        if (items.Count == 0)
        {
            Console.WriteLine("no sandboxes");
            return;
        }
        Table(["ID", "ENGINE", "TOPOLOGY", "STATE", "MEMBERS", "OWNER PID", "CREATED"], items.Select(s => new[]
        {
            s.Id, s.Kind is SandboxKind.Cluster or SandboxKind.RestoredInstance ? s.Engine : "-",
            s.Kind == SandboxKind.RunScratch ? "run scratch" : s.Topology ?? "-", Words(s.State.ToString()),
            s.State == SandboxState.NotASandbox
                ? s.Note ?? ""
                : string.Join(", ", s.Members.Select(m => $"{m.Name}:{m.Port}{(m.Running ? "" : " (stopped)")}")),
            s.OwnerPid?.ToString() ?? "-", s.CreatedAt?.ToString("u") ?? "-",
        }));
    }

    public static void Status(ClusterStatus status)
    {
        Console.WriteLine($"{status.Target}{(status.Engine == Core.Engines.StoreEngines.PostgreSql ? "" : $" ({status.Engine})")}: "
            + $"{status.Verdict}");
        Table(["MEMBER", "ENDPOINT", "ROLE", "TIMELINE", status.PositionName.ToUpperInvariant(), "REPLICATION"],
            status.Members.Select(m => new[]
            {
                m.Name, m.Endpoint, m.Role.ToString().ToLowerInvariant(), m.Timeline?.ToString() ?? "-",
                m.CurrentLsn ?? m.ReplayedLsn ?? "-",
                m.Role switch
                {
                    MemberRole.Standby => $"{m.ReplicationState ?? "-"}/{m.SyncState ?? "-"} from {m.Upstream ?? "-"}",
                    MemberRole.Unreachable => m.Error ?? "",
                    _ => "",
                },
            }));
        foreach (var warning in status.Warnings) Console.WriteLine($"warning: {warning}");
        foreach (var slot in status.Slots)
        {
            Console.WriteLine($"slot {slot.SlotName} on {slot.Member}: {(slot.Active ? "active" : "INACTIVE")}, retains "
                + $"{slot.RetainedWalBytes?.ToString() ?? "-"} bytes of WAL");
        }
        foreach (var check in status.Checks) Console.WriteLine($"checked: {check}");
        if (status.HaManager is { } manager)
        {
            Console.WriteLine(manager);
            foreach (var member in manager.Members) Console.WriteLine($"  {member}");
        }
    }

    public static void Lag(IReadOnlyList<ReplicationLagResult> results)
    {
        Table(["STANDBY", "LAG", "REPLAY LAG", "HEARTBEAT LAG", "LINK IDLE (not lag)", "MET"], results.Select(r => new[]
        {
            r.Standby, r.LagBytes.ToString(), r.ReplayLagSeconds.ToString(), r.HeartbeatLagSeconds?.ToString()
                ?? "-", r.LinkIdleSeconds?.ToString() ?? "-", r.Met ? "yes" : "NO",
        }));
        // One method line a figure, or one a standby where its method says what was seen on it (a standby timed, not read).
        foreach (var figure in results.SelectMany(r => r.Figures.Select(f => (r.Standby, Figure: f))).GroupBy(x => x.Figure.Name))
        {
            var each = figure.DistinctBy(x => x.Figure.Method).Count() > 1;
            foreach (var (standby, f) in each ? figure.ToList() : [figure.First()])
            {
                var of = each ? $" of {standby}" : "";
                Console.WriteLine($"  {f.Name}{of}: {f.Method}{(f.Samples > 1 ? "; p95 shown in --json" : "")}");
            }
        }
    }

    public static void Workload(Core.Kubernetes.WorkloadStatus status)
    {
        Console.WriteLine($"{status.Target}: {status.Verdict}");
        foreach (var pod in status.Pods)
        {
            Console.WriteLine($"  {pod.Name}  {pod.Phase}{(pod.Ready ? ", ready" : ", not ready")}"
                + $"{(pod.Terminating ? ", terminating" : "")}  node {pod.Node ?? "(none)"}  restarts {pod.Restarts}"
                + (pod.Waiting is null ? "" : $"  ({pod.Waiting})"));
        }
        foreach (var budget in status.Budgets) Console.WriteLine($"  disruption budget {budget}");
    }

    public static void PodRecovery(Core.Kubernetes.PodRecoveryResult result)
    {
        Console.WriteLine($"pod {(result.Taken == "deleted" ? "deletion" : "eviction")} on {result.Target}: {result.Deleted.Count} "
            + $"pod(s) {result.Taken}: {Verdict(result.Figures)}");
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure}");
        if (result.Rescheduled.Count > 0) Console.WriteLine($"  made again: {string.Join(", ", result.Rescheduled)}");
        Timeline(result.Timeline);
        Console.WriteLine("how measured:");
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure.Method}");
        if (result.ApiRequests is { } requests) Console.WriteLine($"  API requests outside the watch: {requests}");
    }

    /// <summary>"objectives met", or those not met named: a first line says what failed.</summary>
    private static string Verdict(IEnumerable<Core.Measurement> figures) =>
        figures.Where(f => f.Met == false).Select(f => f.Name).ToList() is { Count: > 0 } missed
            ? $"objectives NOT met: {string.Join(", ", missed)}" : "objectives met";

    public static void NodeDrain(Core.Kubernetes.NodeDrainResult result)
    {
        var uncordon = result.Uncordon is { Undone: false } end ? $"; node NOT uncordoned: {end.Undo}" : "";
        Console.WriteLine($"drain of node {result.Node} for {result.Target}: {result.Evicted.Count} pod(s) evicted: "
            + Verdict(result.Figures) + uncordon);
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure}");
        foreach (var budget in result.Budgets) Console.WriteLine($"  disruption budget before: {budget}");
        if (result.Rescheduled.Count > 0) Console.WriteLine($"  made again: {string.Join(", ", result.Rescheduled)}");
        if (result.Uncordon is { } undo) Console.WriteLine($"  {undo}");
        Timeline(result.Timeline);
        Console.WriteLine("how measured:");
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure.Method}");
        Console.WriteLine($"  API requests outside the watch: {result.ApiRequests}");
    }

    public static void NodeLoss(Core.Kubernetes.NodeLossResult result)
    {
        Console.WriteLine($"loss of node {result.Node} for {result.Target}: {result.Lost.Count} pod(s) on it: {Verdict(result.Figures)}");
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure}");
        if (result.Rescheduled.Count > 0) Console.WriteLine($"  made again: {string.Join(", ", result.Rescheduled)}");
        Timeline(result.Timeline);
        Console.WriteLine("how measured:");
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure.Method}");
        Console.WriteLine($"  API requests outside the watch: {result.ApiRequests}");
    }

    private static void Timeline(IEnumerable<Core.Kubernetes.WorkloadEvent> timeline)
    {
        Console.WriteLine("timeline:");
        foreach (var moment in timeline) Console.WriteLine($"  +{moment.At.TotalSeconds,8:0.000}s  {moment.What}");
    }

    public static void Failover(FailoverResult result)
    {
        // What was not met, named in the first line: a drill whose figures all met their targets can fail on integrity alone.
        var missed = result.Figures.Where(f => f.Met == false).Select(f => f.Name).ToList();
        string[] verdicts =
        [
            .. missed.Count == 0 ? [] : new[] { $"objectives NOT met: {string.Join(", ", missed)}" },
            .. result.Integrity is { Failed: true } ? ["integrity check FAILED"] : Array.Empty<string>(),
            .. result.ReplicasNotFollowing,
        ];
        Console.WriteLine($"{result.Mode} of {result.Target}: {result.OldPrimary} -> {result.NewPrimary}: "
            + (verdicts.Length == 0 ? result.Met ? "objectives met" : "NOT met" : string.Join("; ", verdicts)));
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure}");
        if (result.LostSequences.Count > 0) Console.WriteLine($"  lost sequence numbers: {string.Join(", ", result.LostSequences)}");
        Console.WriteLine($"  integrity: {(result.Integrity?.ToString() ?? "not checked")}");
        Console.WriteLine($"  state: {result.State}");
        Console.WriteLine($"  topology: {result.TopologyAfter.Verdict}");
        Console.WriteLine("timeline:");
        foreach (var moment in result.Timeline) Console.WriteLine($"  +{moment.At.TotalSeconds,8:0.000}s  "
            + $"{moment.Name}{(moment.Detail is null ? "" : $": {moment.Detail}")}");
        Console.WriteLine("how measured:");
        foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure.Method}");
        if (result.Integrity is not null) Console.WriteLine($"  integrity: {result.Integrity.Reference.HowMeasured}");
    }
}
