using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Engines;
using DrTools.Core.Cleanup;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>drtools sandbox up|down|list</summary>
public static class SandboxCommands
{
    public static Command Create() => new("sandbox",
        "Create, list and remove disposable PostgreSQL, MariaDB and Redis sandboxes on 127.0.0.1.") { Up(), Down(), List() };

    public static Option<string> Engine() => new Option<string>("--engine")
    {
        Description = "The store: postgresql (the default), mariadb (a primary and GTID replicas; --standbys counts them) or redis (a "
            + "primary and replicas).",
        DefaultValueFactory = _ => StoreEngines.PostgreSql,
    }.AcceptOnlyFromAmong([.. StoreEngines.Names]);

    public static Option<bool> Sentinels() =>
        new("--sentinels") { Description = "With --engine redis: three Sentinels watch the primary and fail it over themselves." };

    public static Option<int> Standbys() => new Option<int>("--standbys") { Description = "Number of streaming standbys (0 to 8).",
        DefaultValueFactory = _ => 1 }.InRange(0, SandboxOptions.MaxStandbys);

    public static Option<bool> Synchronous() =>
        new("--synchronous") { Description = "Synchronous replication: ANY 1 standby confirms each commit." };

    public static Option<bool> FaultProxy() => new("--fault-proxy")
    {
        Description = "Every member's client and replication traffic through DrTools' fault proxy, so Latency, Jitter, Bandwidth, "
            + "ResetConnections and Blackhole faults apply to it (streaming topology).",
    };

    public static Option<bool> Monitoring() => new("--monitoring")
    {
        Description = "Also a postgres_exporter per member, DrTools' metrics, a Prometheus with alerting rules and an Alertmanager that "
            + "notifies DrTools (apt-get install prometheus prometheus-alertmanager prometheus-postgres-exporter).",
    };

    public static Option<string?> WalDiskSize() => new("--wal-disk-size")
    {
        Description = "Each member's pg_wal on a tmpfs of this size that DrTools mounts (root), e.g. 256MB, so a DiskFull fault can fill "
            + "it (streaming topology).",
    };

    public static Option<SandboxTopology> Topology() => new("--topology")
    {
        Description = "streaming (DrTools' own primary and standbys, the default) or patroni (Patroni-managed nodes with etcd behind "
            + "HAProxy).",
        DefaultValueFactory = _ => SandboxTopology.Streaming,
    };

    public static Option<int> Members() =>
        new Option<int>("--members") { Description = "With --topology patroni: number of Patroni nodes (1 to 9, default 3)." }.InRange(1,
        SandboxOptions.MaxStandbys + 1);

    public static Option<string[]> PatroniSettings() => new("--patroni-setting")
    {
        Description = "With --topology patroni: a Patroni DCS setting instead of Patroni's default, e.g. ttl=10,loop_wait=2 (repeatable).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The sandbox options of the command line: --standbys for a streaming sandbox, --members and --patroni-setting for a Patroni
    /// one.</summary>
    public static SandboxOptions Read(ParseResult parse, Option<SandboxTopology> topology, Option<int> standbys, Option<int> members,
        Option<string[]> patroniSettings)
    {
        var patroni = parse.GetValue(topology) == SandboxTopology.Patroni;
        var given = (Option option) => parse.GetResult(option) is { Implicit: false };
        if (patroni
            && given(standbys)) throw new Core.DrToolsException("--standbys: a Patroni sandbox is sized with --members (its nodes, the "
            + "leader included).", Core.DrErrorKind.InvalidArgument);
        if (!patroni && (given(members)
            || given(patroniSettings))) throw new Core.DrToolsException($"{(given(members) ? "--members" : "--patroni-setting")}: only "
            + $"with --topology patroni.", Core.DrErrorKind.InvalidArgument);
        return new SandboxOptions
        {
            Topology = parse.GetValue(topology),
            Standbys = patroni ? (given(members) ? parse.GetValue(members) : 3) - 1 : parse.GetValue(standbys),
            PatroniSettings = patroni ? Core.Patroni.PatroniSettings.Defaults.With(parse.GetValue(patroniSettings) ?? []) : null,
        };
    }

    private static Command Up()
    {
        var standbys = Standbys();
        var synchronous = Synchronous();
        var topology = Topology();
        var members = Members();
        var patroniSettings = PatroniSettings();
        var faultProxy = FaultProxy();
        var walDiskSize = WalDiskSize();
        var monitoring = Monitoring();
        var engine = Engine();
        var sentinels = Sentinels();
        var root = CommonOptions.SandboxRoot();
        var json = CommonOptions.Json();
        var command = new Command("up", "Create a sandbox that keeps running until 'drtools sandbox down'.") { engine, standbys,
            synchronous, topology, members, patroniSettings, faultProxy, walDiskSize, monitoring, sentinels, root, json };
        command.SetAction(async (parse, token) =>
        {
            Sandbox sandbox;
            using (var progress = ConsoleProgress.For("sandbox up", parse.GetValue(json)))
            {
                sandbox = await Sandbox.CreateAsync(Read(parse, topology, standbys, members, patroniSettings) with
                {
                    Progress = progress,
                    Synchronous = parse.GetValue(synchronous),
                    Engine = Core.Engines.StoreEngines.Parse(parse.GetValue(engine)),
                    Sentinels = parse.GetValue(sentinels),
                    FaultProxy = parse.GetValue(faultProxy),
                    Monitoring = parse.GetValue(monitoring),
                    WalDiskSize = parse.GetValue(walDiskSize) is { } size
                        ? SizeText.Parse(size, "--wal-disk-size", Sandbox.MinWalDiskSize, Sandbox.MaxWalDiskSize)
                        : null,
                    Root = parse.GetValue(root),
                    Persistent = true,
                }, token);
            }
            if (parse.GetValue(json)) Output.Json(Output.Describe(sandbox));
            else Output.Sandbox(sandbox);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Down()
    {
        var ids = new Argument<string[]>("id") { Description = "Sandbox or run ids (or unique prefixes).",
            Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Undo every fault left behind by a process that is gone, then remove every "
            + "sandbox, including ones left by killed processes, and the scratch folders of killed runs. Folders DrTools did not make are "
            + "never touched." };
        var root = CommonOptions.SandboxRoot();
        var command = new Command("down", "Stop a sandbox's servers and delete its directory.") { ids, all, root };
        command.SetAction(async (parse, _) =>
        {
            var chosen = parse.GetValue(ids) ?? [];
            if (parse.GetValue(all) == (chosen.Length > 0))
            {
                throw new Core.DrToolsException("sandbox down: give sandbox ids or --all (one of the two).",
                    Core.DrErrorKind.InvalidArgument);
            }
            var where = parse.GetValue(root);
            var items = parse.GetValue(all) ? Leftovers.List(where) : chosen.Select(id => Leftovers.Find(id, where)).ToList();
            var failed = false;
            // Faults first, whatever process started them: a frozen or cut-off member must not outlive its drill.
            foreach (var end in parse.GetValue(all) ? await Core.Faults.Faults.StopAllAsync(CancellationToken.None) : [])
            {
                Console.WriteLine($"{(end.Undone ? "undid" : "could not undo")} fault {end}");
                failed |= !end.Undone;
            }
            foreach (var item in items)
            {
                if (!Leftovers.IsRemovable(item) && parse.GetValue(all))
                {
                    Console.WriteLine($"skipped {item.Id}: {Leftovers.WhyKept(item)}");
                    continue;
                }
                try
                {
                    // Removal is never cancelled half-way: a sandbox is either still whole or gone.
                    await Leftovers.RemoveAsync(item);
                    Console.WriteLine(item.Kind == SandboxKind.RunScratch
                        ? $"removed the scratch folder of killed run {item.Id} and marked its journal killed"
                        : $"removed sandbox {item.Id}");
                }
                catch (Core.DrToolsException e)
                {
                    Console.Error.WriteLine($"drtools: {e.Message}");
                    failed = true;
                }
            }
            return failed ? ExitCodes.Error : ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var root = CommonOptions.SandboxRoot();
        var json = CommonOptions.Json();
        var command = new Command("list",
            "List sandboxes and runs' scratch folders, including ones whose creator was killed (state orphaned), and folders that are not "
            + "DrTools' (not-a-sandbox, never touched).") { root, json };
        command.SetAction(parse =>
        {
            var items = Leftovers.List(parse.GetValue(root));
            if (parse.GetValue(json)) Output.Json(items);
            else Output.SandboxList(items);
            return ExitCodes.Success;
        });
        return command;
    }
}
