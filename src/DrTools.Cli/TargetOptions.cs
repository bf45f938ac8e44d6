using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Engines;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

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
        => StoreEngines.PostgreSql }
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
