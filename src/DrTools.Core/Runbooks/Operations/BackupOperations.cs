using DrTools.Core.Backups;
using DrTools.Core.Postgres;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Backups, verification by restore, point-in-time recovery and the backup policy as steps.</summary>
internal static class BackupOperations
{
    public static IReadOnlyList<RunbookOperation> All { get; } =
    [
        new("Enable-DbWalArchive", typeof(WalArchiveSettings),
            "Archives the cluster's WAL into the repository (created when missing); for MariaDB, copies the primary's binlogs now.",
            [Target(), Repository()],
            async (context, args, token) => StepOutcomes.From(await BackupRepository.OpenForAsync(args.Required("repository"),
                repository => Engines.Stores.ArchiveAsync(context.Store(args.Required("target")), repository, token)), context)),

        new("New-DbBackup", typeof(BackupRecord),
            "A backup recorded in the repository catalog: PostgreSQL's base backup; MariaDB's dump or physical copy; Redis' RDB or AOF.",
            [
                Target(), Repository(),
                new("kind", ParameterKind.Choice,
                    "base (PostgreSQL), dump or physical (MariaDB), rdb or aof (Redis); default the engine's first.")
                {
                    Choices = Engines.StoreEngines.BackupKinds,
                },
                new("compression", ParameterKind.Choice, "Gzip (default) or None.") { Choices = Enum.GetNames<BackupCompression>() },
                new("noReference", ParameterKind.Boolean, "Do not record the reference checksums Test-DbBackup compares with."),
            ],
            async (context, args, token) =>
            {
                var options = new BackupOptions
                {
                    Compression = Enum.Parse<BackupCompression>(args.String("compression") ?? nameof(BackupCompression.Gzip)),
                    RecordReference = !args.Flag("noReference"),
                };
                return StepOutcomes.From(await BackupRepository.OpenForAsync(args.Required("repository"), repository =>
                    Engines.Stores.BackupAsync(context.Store(args.Required("target")), repository, args.String("kind"), options, token)),
                    context);
            }),

        new("New-DbRestorePoint", typeof(RestorePointRecord), "A named restore point (pg_create_restore_point) recorded in the catalog.",
            [Target(), Repository(), new("name", ParameterKind.String, "The restore point's name.") { Required = true }],
            async (context, args, token)
                => StepOutcomes.From(await DbBackups.CreateRestorePointAsync(context.Target(args.Required("target")),
                BackupRepository.Open(args.Required("repository"), create: false), args.Required("name"), token), context)),

        new("Test-DbBackup", typeof(BackupVerificationResult),
            "Restores a backup into a new isolated instance and verifies it; passes on PASS within the RTO.",
            [
                Repository(),
                new("id", ParameterKind.String, "The backup to verify (default the latest)."),
                new("rto", ParameterKind.Duration,
                    "Most the restore may take, e.g. 10m; default the runbook's rto objective when the step counts toward it.")
                {
                    MaxDuration = DurationText.MaxAge,
                },
                new("keepInstance", ParameterKind.Boolean, "Leave the restored instance running until the run ends."),
            ],
            async (context, args, token) =>
            {
                var options = new BackupVerificationOptions
                {
                    BackupId = args.String("id"),
                    RtoTarget = args.Duration("rto") ?? context.ObjectiveTime("rto"),
                    KeepInstance = args.Flag("keepInstance"),
                    Root = context.SandboxRoot,
                };
                return StepOutcomes.From(await Engines.Stores.VerifyBackupAsync(BackupRepository.Open(args.Required("repository"),
                    create: false), options, token), context);
            }) { Measures = ["rto"] },

        new("Restore-PointInTime", typeof(PointInTimeResult), "Point-in-time recovery into a new isolated instance, with marker checks.",
            [
                Repository(),
                new("targetTime", ParameterKind.Timestamp, "Recover up to this time."),
                new("targetLsn", ParameterKind.String, "Recover up to this WAL position."),
                new("targetXid", ParameterKind.Integer,
                    "Recover up to the commit of this transaction.")
                {
                    Minimum = Backups.RecoveryTarget.FirstNormalXid, Maximum = uint.MaxValue,
                },
                new("restorePoint", ParameterKind.String, "Recover up to this named restore point."),
                new("targetGtid", ParameterKind.String, "MariaDB: recover up to this GTID, inclusive (e.g. 0-1-42)."),
                new("backupId", ParameterKind.String, "MariaDB: the backup to start from (default the latest before the target)."),
                new("mustExist", ParameterKind.StringList, "Queries that must return a row after the restore."),
                new("mustNotExist", ParameterKind.StringList, "Queries that must return no row after the restore."),
                new("removeInstance", ParameterKind.Boolean,
                    "Remove the restored instance after the checks (otherwise it is removed when the run ends)."),
            ],
            async (context, args, token) =>
            {
                var options = new PointInTimeOptions
                {
                    Target = args.String("targetGtid") is null ? RecoveryTarget(args) : Backups.RecoveryTarget.Immediate,
                    MustExist = args.List("mustExist") ?? [],
                    MustNotExist = args.List("mustNotExist") ?? [],
                    KeepInstance = !args.Flag("removeInstance"),
                    Root = context.SandboxRoot,
                };
                return StepOutcomes.From(await Engines.Stores.RestorePointInTimeAsync(BackupRepository.Open(args.Required("repository"),
                    create: false), options, args.String("targetGtid"), args.String("backupId"), token), context);
            })
        {
            Measures = ["rto", "rpo"],
            ExactlyOneOf = [["targetTime", "targetLsn", "targetXid", "restorePoint", "targetGtid"]],
        },

        new("Test-DbBackupPolicy", typeof(BackupPolicyResult),
            "Backup age, archiver health, WAL continuity and retention; passes when no problem is found.",
            [
                Repository(), Target(required: false),
                new("maxBackupAge", ParameterKind.Duration, "Most age the latest backup may have.") { MaxDuration = DurationText.MaxAge },
                new("keepDaily", ParameterKind.Integer, "Retention: daily backups kept."),
                new("keepWeekly", ParameterKind.Integer, "Retention: weekly backups kept."),
                new("keepMonthly", ParameterKind.Integer, "Retention: monthly backups kept."),
            ],
            async (context, args, token) =>
            {
                var options = new BackupPolicyOptions
                {
                    MaxBackupAge = args.Duration("maxBackupAge"),
                    Retention = args.Integer("keepDaily") is { } daily ? new RetentionPolicy((int)daily, (int)(args.Integer("keepWeekly")
                        ?? 0), (int)(args.Integer("keepMonthly") ?? 0)) : null,
                };
                var target = args.String("target") is { } name ? context.Target(name) : null;
                return StepOutcomes.From(await BackupPolicy.CheckAsync(BackupRepository.Open(args.Required("repository"), create: false),
                    target, options, token), context);
            }),
    ];

    private static RecoveryTarget RecoveryTarget(StepArguments args)
    {
        if (args.Timestamp("targetTime") is { } time) return Backups.RecoveryTarget.Time(time);
        if (args.Integer("targetXid") is { } xid) return Backups.RecoveryTarget.Xid(xid);
        if (args.String("restorePoint") is { } name) return Backups.RecoveryTarget.Name(name);
        return Backups.RecoveryTarget.Lsn(Lsn.ParseArgument(args.Required("targetLsn"), "targetLsn"));
    }
}
