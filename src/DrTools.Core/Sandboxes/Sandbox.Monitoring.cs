using System.Text.Json.Serialization;
using DrTools.Core.Processes;

namespace DrTools.Core.Sandboxes;

/// <summary>Where a monitoring sandbox's Prometheus, Alertmanager, DrTools' metrics and receiver, and each member's postgres_exporter
/// listen.</summary>
public sealed record MonitoringEndpoints(int PrometheusPort, int AlertmanagerPort, int DrToolsPort, IReadOnlyDictionary<string,
    int> ExporterPorts, string Inbox)
{
    [JsonIgnore] public Uri Prometheus => new($"http://127.0.0.1:{PrometheusPort}/");
    [JsonIgnore] public Uri Alertmanager => new($"http://127.0.0.1:{AlertmanagerPort}/");
    /// <summary>DrTools' metrics of the sandbox, which its Prometheus scrapes; /alerts beside it is Alertmanager's receiver.</summary>
    [JsonIgnore] public Uri Metrics => new($"http://127.0.0.1:{DrToolsPort}/metrics");
}

// A monitoring sandbox: one postgres_exporter per member, DrTools' own metrics and Alertmanager receiver (a
// drtools-service), a Prometheus scraping them every second with the rules a team starts from, and an Alertmanager
// that notifies DrTools — each a service under services/, on free loopback ports, removed with the sandbox.
public sealed partial class Sandbox
{
    private static readonly (string Program, string Package)[] MonitoringPrograms =
        [("prometheus", "prometheus"), ("prometheus-alertmanager", "prometheus-alertmanager"), ("prometheus-postgres-exporter",
            "prometheus-postgres-exporter")];

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>The monitoring stack of a sandbox created with one; null otherwise.</summary>
    public MonitoringEndpoints? Monitoring => _manifest.Monitoring;

    /// <summary>The alerting rules of a monitoring sandbox: short waits (for:), as a drill on a sandbox lasts seconds.</summary>
    public const string AlertRules = """
        groups:
          - name: drtools-sandbox
            rules:
              - alert: InstanceDown
                expr: pg_up == 0 or up{job="postgres"} == 0
                for: 2s
                labels: { severity: critical }
                annotations: { summary: "PostgreSQL {{ $labels.member }} does not answer" }
              - alert: NoPrimary
                expr: sum by (target) (drtools_member_role{role="primary"}) == 0
                for: 5s
                labels: { severity: critical }
                annotations: { summary: "{{ $labels.target }} has no primary" }
              - alert: ReplicationLagHigh
                expr: drtools_replication_lag_bytes > 16777216
                for: 10s
                labels: { severity: warning }
                annotations: { summary: "{{ $labels.standby }} is {{ $value }} bytes behind" }
              - alert: WalArchivingFailing
                expr: drtools_wal_archiver_failing == 1
                for: 10s
                labels: { severity: critical }
                annotations: { summary: "WAL archiving of {{ $labels.target }} is failing" }
              - alert: BackupTooOld
                expr: drtools_backup_latest_age_seconds > 86400
                for: 1m
                labels: { severity: warning }
                annotations: { summary: "the latest backup in {{ $labels.repository }} is over a day old" }

        """;

    private async Task StartMonitoringAsync(IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        progress.Enter("starting postgres_exporter, DrTools' metrics, Alertmanager and Prometheus", 95);
        var programs = LocatePrograms(MonitoringPrograms, "a monitoring sandbox");
        var exporters = new Dictionary<string, int>();
        foreach (var member in Members)
        {
            var port = 0;
            var source = $"postgresql://{UserName}:{Uri.EscapeDataString(_manifest.Password)}@127.0.0.1:{member.ClientPort}/postgres"
                + "?sslmode=disable";
            await StartServiceAsync($"postgres-exporter-{member.Name}", programs["prometheus-postgres-exporter"], ()
                => [$"--web.listen-address=127.0.0.1:{port = LoopbackPort.Free()}"],
                () => AnswersAsync($"http://127.0.0.1:{port}/metrics",
                    cancellationToken), $"postgres_exporter for {member.Name} did not answer", cancellationToken,
                new Dictionary<string, string> { ["DATA_SOURCE_NAME"] = source });
            exporters[member.Name] = port;
        }

        var endpoints = new MonitoringEndpoints(0, 0, 0, exporters, Path.Combine(ServiceDirectory(Directory, "drtools-monitor"),
            "notifications.jsonl"));
        await StartServiceAsync("drtools-monitor", "drtools-monitor", () =>
        {
            endpoints = endpoints with { DrToolsPort = LoopbackPort.Free() };
            return ["monitor", $"127.0.0.1:{endpoints.DrToolsPort}", Directory, endpoints.Inbox];
        }, () => AnswersAsync(endpoints.Metrics.ToString(), cancellationToken), "DrTools' metrics did not answer", cancellationToken,
            ownService: true);

        var alertmanager = ServiceDirectory(Directory, "alertmanager");
        await StartServiceAsync("alertmanager", programs["prometheus-alertmanager"], () =>
        {
            endpoints = endpoints with { AlertmanagerPort = LoopbackPort.Free() };
            WriteServerFile(Path.Combine(alertmanager, "alertmanager.yml"), $"""
                route:
                  receiver: drtools
                  group_by: [alertname, member, target]
                  group_wait: 0s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: drtools
                    webhook_configs: [{"{"} url: "http://127.0.0.1:{endpoints.DrToolsPort}/alerts", send_resolved: true {"}"}]

                """);
            return [$"--config.file={Path.Combine(alertmanager, "alertmanager.yml")}",
                $"--storage.path={Path.Combine(alertmanager, "data")}",
                $"--web.listen-address=127.0.0.1:{endpoints.AlertmanagerPort}", "--cluster.listen-address="];
        }, () => AnswersAsync($"{endpoints.Alertmanager}-/ready", cancellationToken), "Alertmanager did not answer", cancellationToken);

        var prometheus = ServiceDirectory(Directory, "prometheus");
        await StartServiceAsync("prometheus", programs["prometheus"], () =>
        {
            endpoints = endpoints with { PrometheusPort = LoopbackPort.Free() };
            WriteServerFile(Path.Combine(prometheus, "rules.yml"), AlertRules);
            WriteServerFile(Path.Combine(prometheus, "prometheus.yml"), PrometheusConfig(endpoints));
            return [$"--config.file={Path.Combine(prometheus, "prometheus.yml")}",
                $"--storage.tsdb.path={Path.Combine(prometheus, "data")}", $"--web.listen-address=127.0.0.1:{endpoints.PrometheusPort}"];
        }, () => AnswersAsync($"{endpoints.Prometheus}-/ready", cancellationToken), "Prometheus did not answer", cancellationToken);
        Record(_manifest with { Monitoring = endpoints });

        // Ready when Prometheus has scraped every target and evaluated the rules once: an alert can fire from now on.
        await Polling.RequireAsync(async () => await DrTools.Core.Monitoring.Prometheus.ScrapedAsync(endpoints.Prometheus, exporters.Count
            + 1, cancellationToken), ServiceStartTimeout, TimeSpan.FromMilliseconds(200),
            ()
                => $"sandbox {Id}: Prometheus did not scrape every exporter and DrTools' metrics within "
                + $"{DurationText.Format(ServiceStartTimeout)}: {ServiceProcess.LastLines(Path.Combine(prometheus, "prometheus.log"))}",
            cancellationToken);
    }

    private string ExporterTarget(string member, int port) =>
        $"      - {{ targets: [\"127.0.0.1:{port}\"], labels: {{ member: {member}, sandbox: \"{Id}\" }} }}";

    private string PrometheusConfig(MonitoringEndpoints endpoints) => $"""
        global: {"{"} scrape_interval: 1s, evaluation_interval: 1s {"}"}
        rule_files: [rules.yml]
        alerting:
          alertmanagers: [{"{"} static_configs: [{"{"} targets: ["127.0.0.1:{endpoints.AlertmanagerPort}"] {"}"}] {"}"}]
        scrape_configs:
          - job_name: postgres
            static_configs:
        {string.Join("\n", endpoints.ExporterPorts.Select(e => ExporterTarget(e.Key, e.Value)))}
          - job_name: drtools
            static_configs: [{"{"} targets: ["127.0.0.1:{endpoints.DrToolsPort}"], labels: {"{"} sandbox: "{Id}" {"}"} {"}"}]

        """;

    private static async Task<bool> AnswersAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
