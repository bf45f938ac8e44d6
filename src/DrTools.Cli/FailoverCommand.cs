using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Failover;
using DrTools.Core.Faults;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>drtools failover: a switchover or failover drill with client-measured RTO and RPO; exits 1 when an objective is not
/// met.</summary>
public static class FailoverCommand
{
    public sealed class Options
    {
        public Option<FailoverMode> Mode { get; } = new("--mode") { Description = "switchover (planned) or failover (unplanned).",
            DefaultValueFactory = _ => FailoverMode.Switchover };
        public Option<string?> Candidate { get; } = new("--candidate") { Description = "The standby to promote (member name or host:port); "
            + "default the most advanced." };
        public Option<bool> Rejoin { get; } = new("--rejoin") { Description = "After a failover, rejoin the old primary as a standby (a "
            + "switchover always does)." };
        public Option<TimeSpan?> Rto { get; } = CommonOptions.Duration("--rto",
            "Recovery time objective: most write unavailability allowed (e.g. 30s).", max: DurationText.MaxAge);
        public Option<TimeSpan?> Rpo { get; } = CommonOptions.Duration("--rpo",
            "Recovery point objective: longest window of lost acknowledged writes allowed (e.g. 0s).", max: DurationText.MaxAge);
        public Option<double> ProbeRate { get; } = new Option<double>("--probe-rate")
        {
            Description = ProbeOptions.RateHelp, DefaultValueFactory = _ => ProbeOptions.DefaultRate,
        }.InRange(ProbeOptions.MinRate, ProbeOptions.MaxRate);
        public Option<int> ProbeClients { get; } = new Option<int>("--probe-clients")
        {
            Description = ProbeOptions.ClientsHelp, DefaultValueFactory = _ => ProbeOptions.DefaultClients,
        }.InRange(ProbeOptions.MinClients, ProbeOptions.MaxClients);
        public Option<string?> ProbeConnectionString { get; } = new("--probe-connection-string") { Description = "The application's own "
            + "connection string for the probes (default: all members, Target Session Attributes=read-write)." };
        public Option<string?> ReadProbeConnectionString { get; } = new("--read-probe-connection-string")
        {
            Description = "PostgreSQL: the path the application reads from, e.g. a replica, for the read probe (default: any member); "
                + "reads through a replica are judged for stale reads.",
        };
        public Option<int?> MaxStaleReads { get; } = new Option<int?>("--max-stale-reads")
        {
            Description = "Target: most stale reads allowed (default none: informational, as reads through a replica are expected "
                + "to be behind).",
        }.InRange(0, 1_000_000);
        public Option<string[]> Tables { get; } = new("--table") { Description = "A table whose count and checksum must survive (repeat); "
            + "default all but drtools_*." };
        public Option<bool> NoIntegrity { get; } = new("--no-integrity") { Description = "Skip the before/after checksum comparison." };
        public Option<string?> FaultCommand { get; } = new("--fault-command") { Description = "Shell command that fails the primary "
            + "(DRTOOLS_MEMBER_HOST/PORT are set): needed for members DrTools does not control; on a sandbox it replaces the SIGKILL, and "
            + "with Patroni recovering the node fault." };
        public Option<string?> StopCommand { get; } = new("--stop-command") { Description = "Shell command that stops the primary cleanly: "
            + "needed for members DrTools does not control; on a sandbox it replaces the fast shutdown." };
        public Option<string[]> DataDirectories { get; } = new("--data-directory") { Description = "MEMBER=DIRECTORY: a member's data "
            + "directory on this machine, so DrTools controls it directly (signals, pg_rewind); repeat per member." };
        public Option<TimeSpan?> PhaseTimeout { get; } = CommonOptions.Duration("--phase-timeout",
            "Longest wait of any one phase (default 60s).", TimeSpan.FromSeconds(60), positive: true);
        public Option<TimeSpan?> EndpointWatch { get; } = CommonOptions.Duration("--endpoint-watch",
            FailoverOptions.EndpointWatchHelp, FailoverOptions.DefaultEndpointWatch, positive: true);
        public Option<RecoveredBy?> RecoveredBy { get; } = new("--recovered-by") { Description = "Who recovers: DrTools (it promotes and "
            + "rewinds), Patroni or Sentinel (a Redis sandbox's; DrTools injects the fault and only observes) or External (an HA manager "
            + "DrTools does not know: --fault-command acts, DrTools watches the writer through the endpoint); default Patroni for a "
            + "Patroni sandbox or with --patroni." };
        public Option<string?> Fault { get; } = new("--fault") { Description = "The unplanned fault: from the fault library on the primary "
            + $"({Core.Faults.Faults.KindList(DrillFaults.LibraryKinds, Output.Words)}; undone when the drill ends, the old primary "
            + "fenced first), or with "
            + "Patroni recovering on the leader's node (KillPostgres, KillNode — the default —, FreezeNode, StopPatroni). Default: SIGKILL "
            + "of the postmaster." };
        public Option<string[]> FaultArguments { get; } = CommonOptions.FaultArguments();
        public HttpProbeOptionGroup Http { get; } = new();
        public Option<TimeSpan?> FaultDuration { get; } = CommonOptions.Duration("--fault-duration",
            "How long FreezeNode keeps the node stopped (default twice Patroni's ttl).", positive: true);
        public Option<string?> History { get; } = RunbookCommands.History();
        public Option<bool> NoHistory { get; } = new("--no-history")
        {
            Description = "Do not record the drill in the drill history (journal.json, reports, history.jsonl).",
        };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[]
            {
                Mode, Candidate, Rejoin, Rto, Rpo, MaxStaleReads, ProbeRate, ProbeClients, ProbeConnectionString, ReadProbeConnectionString,
                Tables,
                NoIntegrity, FaultCommand, StopCommand,
                DataDirectories, PhaseTimeout, EndpointWatch, RecoveredBy, Fault, FaultArguments, FaultDuration, History, NoHistory,
            }) command.Add(option);
            Http.AddTo(command);
            // Each client attempts at the rate: together they may not pass the most a probe attempts.
            command.Validators.Add(result =>
            {
                double rate;
                int clients;
                try
                {
                    rate = result.GetResult(ProbeRate) is { Implicit: false } given
                        ? given.GetValueOrDefault<double>()
                        : ProbeOptions.DefaultRate;
                    clients = result.GetResult(ProbeClients) is { Implicit: false } count
                        ? count.GetValueOrDefault<int>()
                        : ProbeOptions.DefaultClients;
                }
                catch (InvalidOperationException)
                {
                    return; // not a number of the option's type: the parser already says so, naming the option
                }
                if (rate * clients > ProbeOptions.MaxRate)
                {
                    result.AddError($"--probe-rate {rate} for each of --probe-clients {clients} is {rate * clients} attempts per "
                        + $"second: at most {ProbeOptions.MaxRate} for all clients together.");
                }
            });
        }

        /// <summary>
        /// Records the drill in the drill history as a run of its own, unless --no-history, and says where (on standard
        /// error with --json, whose standard output is the result). The drill ran either way: a failure to record is said, not fatal.
        /// </summary>
        public void Record(ParseResult parse, FailoverResult result, string source, bool json) =>
            Record(parse, json ? Console.Error : Console.Out, history => FailoverJournal.Record(result, history, source));

        /// <summary>
        /// Runs the drill. One that ends with an error is recorded as a run records a drill step that throws (the step
        /// failed with the error, history.jsonl with the drill-error line), its folder said on standard error before the error is.
        /// </summary>
        public async Task<FailoverResult> RunAsync(ParseResult parse, FailoverPlan plan, Func<Task<FailoverResult>> drill, string source,
            CancellationToken cancellationToken)
        {
            var clock = new MonotonicClock();
            try
            {
                return await drill();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && FailoverJournal.Began(e))
            {
                Record(parse, Console.Error,
                    history => FailoverJournal.RecordFailure(e, plan, clock.StartedAt, clock.Elapsed, history, source));
                throw;
            }
        }

        private void Record(ParseResult parse, TextWriter said, Func<string?, RunJournal> record)
        {
            if (parse.GetValue(NoHistory)) return;
            try
            {
                said.WriteLine($"journal, reports and probe history: {record(parse.GetValue(History)).Folder}");
            }
            catch (Exception e) when (e is DrToolsException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"drtools: the drill ran, but it could not be recorded in the drill history: {e.Message}");
            }
        }

        public FailoverOptions Read(ParseResult parse)
        {
            var probe = new ProbeOptions
            {
                Rate = parse.GetValue(ProbeRate), Clients = parse.GetValue(ProbeClients),
                ConnectionString = parse.GetValue(ProbeConnectionString),
            };
            var options = new FailoverOptions
            {
                Mode = parse.GetValue(Mode),
                Candidate = parse.GetValue(Candidate),
                Rejoin = parse.GetValue(Rejoin),
                RtoTarget = parse.GetValue(Rto),
                RpoTarget = parse.GetValue(Rpo),
                MaxStaleReads = parse.GetValue(MaxStaleReads),
                WriteProbe = probe,
                ReadProbe = probe with { ConnectionString = parse.GetValue(ReadProbeConnectionString) },
                CheckIntegrity = !parse.GetValue(NoIntegrity),
                IntegrityTables = parse.GetValue(Tables) is { Length: > 0 } tables ? tables : null,
                PhaseTimeout = parse.GetValue(PhaseTimeout)!.Value,
                EndpointWatch = parse.GetValue(EndpointWatch)!.Value,
                FaultDuration = parse.GetValue(FaultDuration),
                HttpProbe = Http.Read(parse),
            };
            return DrillFaults.With(options, parse.GetValue(Fault), FaultTargets.ParseParameters(parse.GetValue(FaultArguments) ?? []));
        }

        public IRecovery Recovery(ParseResult parse, Core.Engines.IDrillTarget target, Sandbox? sandbox) =>
            Core.Failover.Recovery.For(target, sandbox, new RecoveryRequest(OptionName)
            {
                RecoveredBy = parse.GetValue(RecoveredBy),
                DataDirectories = parse.GetValue(DataDirectories),
                FaultCommand = parse.GetValue(FaultCommand),
                StopCommand = parse.GetValue(StopCommand),
            });

        /// <summary>dataDirectory as drtools spells it: --data-directory.</summary>
        private static string OptionName(string name) =>
            "--" + string.Concat(name.Select(c => char.IsUpper(c) ? $"-{char.ToLowerInvariant(c)}" : c.ToString()));
    }

    public static Command Create()
    {
        var target = new TargetOptions();
        var options = new Options();
        var whatIf = new Option<bool>("--what-if") { Description = "Show what the drill would do, change nothing." };
        var expectAlert = new Option<string?>("--expect-alert") { Description = "An alert that must fire after the fault (e.g. "
            + "InstanceDown): time to alert (in Alertmanager, and to DrTools' receiver on a monitoring sandbox) and time to resolve are "
            + "measured; the drill fails when it does not fire, naming the rule." };
        var alertWithin = CommonOptions.Duration("--alert-within", "How soon after the fault the expected alert must fire (default 60s).",
            positive: true);
        var alertLabels = new Option<string[]>("--alert-label") { Description = "A label the expected alert must have, as NAME=VALUE "
            + "(repeatable)." };
        var alertmanager = new Option<string?>("--alertmanager") { Description = "Alertmanager's URL, when the target is not a monitoring "
            + "sandbox." };
        var prometheus = new Option<string?>("--prometheus") { Description = "Prometheus' URL, when the target is not a monitoring "
            + "sandbox." };
        var json = CommonOptions.Json();
        var command = new Command("failover",
            "Switchover or failover drill with write/read probes: RTO and RPO as a client observed them, integrity, topology afterwards.")
        {
            whatIf, json, expectAlert, alertWithin, alertLabels, alertmanager, prometheus,
        };
        target.AddTo(command, destructive: true, haManager: true);
        options.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var failover = options.Read(parse);
            var sandbox = target.OpenSandbox(parse);
            failover = failover with
            {
                ExpectAlert = Core.Monitoring.AlertExpectation.From(parse.GetValue(expectAlert), sandbox, parse.GetValue(prometheus),
                    parse.GetValue(alertmanager),
                    FaultTargets.ParseParameters(parse.GetValue(alertLabels) ?? []), parse.GetValue(alertWithin)),
            };
            var recovery = options.Recovery(parse, target.ResolveStore(parse), sandbox);
            var plan = await recovery.PlanAsync(failover, token);
            if (parse.GetValue(whatIf))
            {
                Console.WriteLine($"What if: {plan}");
                return ExitCodes.Success;
            }
            FailoverResult result;
            var disks = DiskRoom.OfDrill(sandbox, parse.GetValue(options.DataDirectories));
            using (var progress = ConsoleProgress.For($"{plan.Mode} of {plan.Target.Name}", parse.GetValue(json)))
            {
                try
                {
                    var drilled = failover with { Progress = progress };
                    result = await options.RunAsync(parse, plan, () => recovery.RunAsync(plan, drilled, token), "drtools failover", token);
                }
                // A standby repointed on a full disk, a new primary that cannot write its checkpoint: stopped for the disk.
                catch (Exception e) when (!token.IsCancellationRequested && DiskRoom.MayHideAFullDisk(e))
                {
                    DiskRoom.ThrowIfDrillStopped(disks, e.Message, e);
                    throw;
                }
            }
            if (parse.GetValue(json)) Output.Json(result);
            else Output.Failover(result);
            options.Record(parse, result, "drtools failover", parse.GetValue(json));
            if (!result.Met) DiskRoom.ThrowIfDrillStopped(disks, "drill FAILED");
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }
}
