using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Replication;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Operations that read or query a cluster, and Remove-DrSandbox.</summary>
internal static class ClusterOperations
{
    public static IReadOnlyList<RunbookOperation> All { get; } =
    [
        new("Get-DbClusterStatus", typeof(ClusterStatus), "Roles, replication and slots; passes when the cluster is healthy.", [Target()],
            async (context, args, token) => StepOutcomes.From(await context.Store(args.Required("target")).GetStatusAsync(token),
                context)),

        new("Test-ReplicationLag", typeof(IReadOnlyList<ReplicationLagResult>),
            "Replication lag of every standby against thresholds; passes when every threshold is met.",
            [
                Target(),
                new("maxLagBytes", ParameterKind.Integer,
                    "Most WAL bytes (Redis: replication offset bytes) a standby may be behind the primary.")
                {
                    Maximum = ReplicationLagOptions.MaxLagBytesLimit,
                },
                new("maxLagTransactions", ParameterKind.Integer,
                    "MariaDB: most GTID transactions a replica may be behind the primary.")
                {
                    Maximum = ReplicationLagOptions.MaxLagTransactionsLimit,
                },
                new("maxLagSeconds", ParameterKind.Number,
                    "Most seconds a standby may lag (heartbeat lag with heartbeat: true, otherwise replay lag).")
                {
                    Maximum = DurationText.MaxAge.TotalSeconds,
                },
                new("heartbeat", ParameterKind.Boolean, "Measure end-to-end lag with a heartbeat row."),
                new("duration", ParameterKind.Duration, "Sample over this window and report maximum and p95."),
                new("interval", ParameterKind.Duration, "Time between samples (default 1s).") { Positive = true },
            ],
            async (context, args, token) => StepOutcomes.From(await context.Store(args.Required("target")).MeasureLagAsync(
                new ReplicationLagOptions
                {
                    MaxLagBytes = args.Integer("maxLagBytes"),
                    MaxLagTransactions = args.Integer("maxLagTransactions"),
                    MaxLag = args.Number("maxLagSeconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                    Heartbeat = args.Flag("heartbeat"),
                    Duration = args.Duration("duration"),
                    Interval = args.Duration("interval") ?? TimeSpan.FromSeconds(1),
                }, token), context)),

        new("Get-DbChecksum", typeof(DbChecksum),
            "Row counts and checksums of every table in one snapshot (save it, then Compare-DbChecksum).",
            [Target(), Member("read"), new("table", ParameterKind.StringList, "Tables to checksum; default every table but drtools_*."),
                CheckIndexes("a wrong one fails the step")],
            async (context, args, token) => StepOutcomes.From(await IndexCheck.ChecksumAsync(context.Store(args.Required("target")),
                args.String("member"), args.List("table"), IndexesOption(args), token), context)),

        new("Compare-DbChecksum", typeof(ChecksumComparison),
            "Checksums the cluster now and compares with a saved Get-DbChecksum; passes when every table matches (nothing in scope: not "
            + "checked, unless allowEmpty).",
            [
                Target(),
                new("reference", ParameterKind.Object, "The checksum taken before, e.g. ${before}.") { Required = true,
                    ObjectType = typeof(DbChecksum) },
                Member("read"),
                new("allowEmpty", ParameterKind.Boolean,
                    "Pass when nothing is in scope (no table or key pattern before or now); otherwise that is 'not checked' and the step "
                    + "fails."),
                CheckIndexes("a wrong one fails the comparison"),
            ],
            async (context, args, token) => StepOutcomes.From(await IndexCheck.CompareAsync(context.Store(args.Required("target")),
                args.Get<DbChecksum>("reference")!, args.String("member"), args.Flag("allowEmpty"), IndexesOption(args), token), context)),

        new("Invoke-DbQuery", typeof(DbQueryResult),
            "Runs SQL (Redis: one command a line) on the primary (or a named member): setup, data and markers.",
            [Target(), new("query", ParameterKind.String, "The SQL to run; for Redis, commands, one a line.") { Required = true },
                Member("run it on")],
            async (context, args, token) => StepOutcomes.From(await context.Store(args.Required("target")).QueryAsync(
                args.Required("query"), args.String("member"), token), context)),

        new("Remove-DrSandbox", typeof(string), "Stops and deletes the sandbox behind a target.", [Target() with { SandboxOnly = true }],
            async (context, args, _) =>
            {
                var name = args.Required("target");
                var sandbox = context.Sandbox(name)
                    ?? throw new DrToolsException($"target '{name}' is not a sandbox: Remove-DrSandbox removes only sandboxes.",
                    DrErrorKind.InvalidArgument);
                // Removal must finish even when the run is being cancelled: it is what cleanup is for.
                await sandbox.DisposeAsync();
                context.Untrack(sandbox.Id);
                return new StepOutcome(sandbox.Id, true, $"sandbox {sandbox.Id} removed");
            }),
    ];

    private static OperationParameter CheckIndexes(string verdict) => new("checkIndexes", ParameterKind.Boolean,
        $"PostgreSQL: also check every B-tree index of the tables against their rows (amcheck, installed in the database); {verdict}.");

    private static string? IndexesOption(StepArguments args) => args.Flag("checkIndexes") ? "checkIndexes" : null;
}
