using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DrTools.Core;
using DrTools.Core.Engines;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>Options several commands share, so that each is spelled and parsed the same way everywhere.</summary>
public static class CommonOptions
{
    /// <summary>--fault-arg NAME=VALUE, the parameters of a fault from the fault library.</summary>
    public static Option<string[]> FaultArguments() => new("--fault-arg")
    {
        Description = "A parameter of the fault as NAME=VALUE: from=node0 (partition), percent=30 (packet loss), processes=all (kill), "
            + "delay=30s or pause=true (replication delay), start=... and undo=... (command), leave=4MB (disk full), delay=100ms / "
            + "jitter=50ms / rate=64kB / direction=toMember (fault proxy); repeatable.",
    };

    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON instead of text." };

    public static Option<string?> SandboxRoot() =>
        new("--root") { Description = "Folder sandboxes are kept in (default: DRTOOLS_SANDBOX_ROOT or <temp>/drtools-sandboxes)." };

    /// <summary>A duration option: 0 (or, <paramref name="positive"/>, more than 0) to <paramref name="max"/> (default the longest wait),
    /// refused at parse time otherwise.</summary>
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan? defaultValue = null, TimeSpan? max = null,
        bool positive = false)
    {
        var option = new Option<TimeSpan?>(name) { Description = description, CustomParser = result => ParseDuration(result, name, max,
            positive) };
        if (defaultValue is { } value) option.DefaultValueFactory = _ => value;
        return option;
    }

    private static TimeSpan? ParseDuration(ArgumentResult result, string name, TimeSpan? max, bool positive)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        try
        {
            return DurationText.Parse(text, name, max, positive);
        }
        catch (DrToolsException e)
        {
            result.AddError(e.Message);
            return null;
        }
    }

    /// <summary>Refuses, at parse time and naming the option, a number outside [<paramref name="min"/>, <paramref name="max"/>] (and
    /// NaN).</summary>
    public static TOption InRange<TOption>(this TOption option, double min, double max) where TOption : Option
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || result.Implicit) return;
            double value;
            try
            {
                value = Convert.ToDouble(result.GetValueOrDefault<object>(), CultureInfo.InvariantCulture);
            }
            catch (InvalidOperationException)
            {
                return; // not a number of the option's type at all: the parser already says so, naming the option
            }
            if (!(value >= min && value <= max))
            {
                result.AddError($"{option.Name}: {result.Tokens[0].Value} is out of range; give "
                    + $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }
}

/// <summary>The cluster a command works on: --member connection strings, or --sandbox ID.</summary>
public sealed class TargetOptions
{
    public Option<string[]> Members { get; } = new("--member", "-m")
    {
        Description = "Npgsql connection string of one member; repeat for each member. Passwords may also come from PGPASSWORD or "
            + "~/.pgpass.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Sandbox { get; } = new("--sandbox",
        "-s") { Description = "Id (or unique prefix) of a sandbox from 'drtools sandbox up'." };

    public Option<string> Engine { get; } = new Option<string>("--engine") { Description = "The store --member reaches: postgresql "
        + "(default; Npgsql connection strings), mariadb (MySqlConnector's: Server=…;Port=…;User ID=…) or redis "
        + "(redis://[default:PASSWORD@]HOST:PORT or Host=…;Port=…;Password=…). A sandbox knows its own.", DefaultValueFactory = _
        => "postgresql" }
        .AcceptOnlyFromAmong([.. StoreEngines.Names]);
    public Option<string?> Root { get; } = CommonOptions.SandboxRoot();
    public Option<TimeSpan?> ConnectTimeout { get; } = CommonOptions.Duration("--connect-timeout",
        "How long to wait for each member to answer (default 10s).", DbMember.DefaultConnectTimeout, positive: true);

    public Option<string[]> AllowDrillOn { get; } = new("--allow-drill-on")
    {
        Description = "host:port of a member that destructive drills may act on; every member must be named (sandboxes are always "
            + "allowed). Also DRTOOLS_ALLOW_DRILL_ON.",
    };

    public Option<string[]> Patroni { get; } = new("--patroni")
    {
        Description = "REST API of the Patroni that runs the cluster (http://HOST:8008; repeat for each node): its view is shown beside "
            + "PostgreSQL's and judged with it. A Patroni sandbox's is known.",
    };

    public void AddTo(Command command, bool destructive = false, bool haManager = false)
    {
        command.Add(Members);
        command.Add(Engine);
        command.Add(Sandbox);
        command.Add(Root);
        command.Add(ConnectTimeout);
        if (destructive) command.Add(AllowDrillOn);
        if (haManager) command.Add(Patroni);
    }

    /// <summary>The sandbox named by --sandbox, or null when the target is given by --member.</summary>
    public Sandbox? OpenSandbox(ParseResult parse) => parse.GetValue(Sandbox) is { } id ? Core.Sandboxes.Sandbox.Open(id,
        parse.GetValue(Root)) : null;

    /// <summary>The cluster of any engine: the sandbox's, or the members' under --engine.</summary>
    public Core.Engines.IDrillTarget ResolveStore(ParseResult parse)
    {
        var members = parse.GetValue(Members) ?? [];
        if (parse.GetValue(Sandbox) is { } sandbox && members.Length == 0)
        {
            var cluster = Core.Sandboxes.Sandbox.Open(sandbox, parse.GetValue(Root)).ClusterWithin(parse.GetValue(ConnectTimeout));
            return cluster is DbTarget ? Resolve(parse) : cluster;
        }
        // No member, or both, or PostgreSQL's: Resolve says what is wrong or reads them.
        if (members.Length == 0 || parse.GetValue(Sandbox) is not null
            || Core.Engines.StoreEngines.Parse(parse.GetValue(Engine)) == Core.Engines.StoreEngines.PostgreSql) return Resolve(parse);
        if (parse.GetValue(Patroni) is { Length: > 0 }) throw new DrToolsException("--patroni is for PostgreSQL clusters.",
            DrErrorKind.InvalidArgument);
        return Core.Engines.Stores.FromConnectionStrings(parse.GetValue(Engine)!, members, connectTimeout: parse.GetValue(ConnectTimeout),
            allowDrillOn: parse.GetValue(AllowDrillOn));
    }

    public DbTarget Resolve(ParseResult parse)
    {
        if (parse.GetValue(Members) is { Length: > 0 }
            && Core.Engines.StoreEngines.Parse(parse.GetValue(Engine)) != Core.Engines.StoreEngines.PostgreSql)
        {
            throw new DrToolsException($"this command works on PostgreSQL clusters; --engine {parse.GetValue(Engine)} is not supported by "
                + $"it.", DrErrorKind.InvalidArgument);
        }
        var members = parse.GetValue(Members) ?? [];
        var sandbox = parse.GetValue(Sandbox);
        var target = (members.Length, sandbox) switch
        {
            (0, null)
                => throw new DrToolsException("name the cluster: --member CONNECTION-STRING (repeat for each member) or --sandbox ID.",
                DrErrorKind.InvalidArgument),
            (> 0, not null) => throw new DrToolsException("give either --member or --sandbox, not both.", DrErrorKind.InvalidArgument),
            (_, not null) => Core.Sandboxes.Sandbox.Open(sandbox, parse.GetValue(Root)).TargetWithin(parse.GetValue(ConnectTimeout)),
            _ => DbTarget.FromConnectionStrings(members, connectTimeout: parse.GetValue(ConnectTimeout),
                allowDrillOn: parse.GetValue(AllowDrillOn)),
        };
        return parse.GetValue(Patroni) is { Length: > 0 } urls ? target with { HaManager = Core.Patroni.PatroniManager.Parse(urls) }
            : target;
    }
}

/// <summary>The application-level HTTP probe of a drill or a held fault: --http-probe URL and its targets.</summary>
public sealed class HttpProbeOptionGroup
{
    public Option<string?> Url { get; } = new("--http-probe") { Description = "URL the application answers on (e.g. its health endpoint), "
        + "probed with GET throughout: error rate, p50/p95/p99 latency, longest run of failures, time to recover." };
    public Option<int> ExpectStatus { get; } = new Option<int>("--http-expect-status") { Description = "The status an answered attempt "
        + "returns (default 200).", DefaultValueFactory = _ => 200 }.InRange(100, 599);
    public Option<double> Rate { get; } = new Option<double>("--http-probe-rate") { Description = "HTTP probe attempts per second (default "
        + "5).", DefaultValueFactory = _ => 5 }.InRange(Core.Probes.ProbeOptions.MinRate, Core.Probes.ProbeOptions.MaxRate);
    public Option<double?> MaxErrorRate { get; } = new Option<double?>("--max-error-rate") { Description = "Target: most HTTP probe "
        + "attempts that may fail, in percent." }.InRange(0, 100);
    public Option<TimeSpan?> P99 { get; } = CommonOptions.Duration("--p99",
        "Target: most p99 latency of the HTTP probe's answered attempts, e.g. 500ms.", positive: true);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Url, ExpectStatus, Rate, MaxErrorRate, P99 }) command.Add(option);
    }

    public Core.Probes.HttpProbeOptions? Read(ParseResult parse) => Core.Probes.HttpProbeOptions.From(parse.GetValue(Url),
        parse.GetValue(ExpectStatus), parse.GetValue(Rate),
        parse.GetValue(MaxErrorRate), parse.GetValue(P99), ("--http-probe", "--max-error-rate and --p99"));
}
