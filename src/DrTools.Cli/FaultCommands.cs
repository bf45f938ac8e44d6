using System.CommandLine;
using DrTools.Core.Faults;

namespace DrTools.Cli;

/// <summary>drtools fault start|stop|list: faults on members, always undone — at the end of --duration, on Ctrl+C or SIGTERM, or by fault
/// stop.</summary>
public static class FaultCommands
{
    public static Command Create() => new("fault",
        "Inject faults on members (partition, packet loss, freeze, kill, replication delay, your command) and undo them.")
    {
        Start(),
        Stop(),
        List(),
        Check(),
    };

    private static Command Start()
    {
        var kind = new Argument<FaultKind>("kind") { Description = $"{Faults.KindList(Faults.DatabaseKinds, Output.Words)}." };
        kind.CustomParser = result =>
        {
            if (Enum.TryParse<FaultKind>(result.Tokens[0].Value.Replace("-", ""), ignoreCase: true, out var parsed)
                && Faults.DatabaseKinds.Contains(parsed)) return parsed;
            result.AddError($"fault kind '{result.Tokens[0].Value}': one of "
                + $"{string.Join(", ", Faults.DatabaseKinds.Select(k => Output.Words(k.ToString())))}.");
            return default;
        };
        var on = new Option<string?>("--on")
        {
            Description = "The member to inject the fault on (name or host:port); default the primary.",
        };
        var arguments = CommonOptions.FaultArguments();
        var duration = CommonOptions.Duration("--duration",
            "How long the fault lasts; the command returns once it is undone. Without it the fault stays until 'drtools fault stop'.",
            positive: true);
        var dataDirectories = new Option<string[]>("--data-directory") { Description = "MEMBER=DIRECTORY: a member's data directory on "
            + "this machine, so the fault acts on its processes; repeat per member." };
        var whatIf = new Option<bool>("--what-if") { Description = "Show what the fault would be, change nothing." };
        var json = CommonOptions.Json();
        var target = new TargetOptions();
        var http = new HttpProbeOptionGroup();
        var command = new Command("start", "Inject a fault on a member of a sandbox or of a cluster allowed for drills.") { kind, on,
            arguments, duration, dataDirectories, whatIf, json };
        target.AddTo(command, destructive: true);
        http.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var probe = http.Read(parse);
            if (probe is not null
                && parse.GetValue(duration) is null) throw new Core.DrToolsException("--http-probe runs while a fault is held: give "
                + "--duration too.", Core.DrErrorKind.InvalidArgument);
            var sandbox = target.OpenSandbox(parse);
            var request = await FaultTargets.ResolveAsync(parse.GetValue(kind), target.Resolve(parse), sandbox, parse.GetValue(on),
                FaultTargets.ParseParameters(parse.GetValue(arguments) ?? []), parse.GetValue(dataDirectories), token);
            var description = Faults.Plan(request);
            if (parse.GetValue(whatIf))
            {
                Console.WriteLine($"What if: {description}");
                return ExitCodes.Success;
            }
            if (parse.GetValue(duration) is not { } lasting)
            {
                if (request.Kind == FaultKind.ConnectionExhaustion) throw new Core.DrToolsException("connection exhaustion is held by the "
                    + "process that starts it, and this one ends now: give --duration.", Core.DrErrorKind.InvalidArgument);
                var record = await Faults.StartAsync(request, null, token);
                if (parse.GetValue(json)) Output.Json(record);
                else Console.WriteLine($"fault {record.Id}: {record.Description}; undo it with: drtools fault stop {record.Id}");
                return ExitCodes.Success;
            }
            var end = await Faults.HoldAsync(request, lasting, probe, token, started =>
            {
                if (!parse.GetValue(json)) Console.WriteLine($"fault {started.Id}: {started.Description}, for "
                    + $"{Core.DurationText.Format(lasting)}");
            });
            if (!parse.GetValue(json) && end.HttpProbe is { } seen) Console.WriteLine($"HTTP probe: {seen}");
            return Ended([end], parse.GetValue(json)) is var code && code == ExitCodes.Success && end.HttpProbe?.Met == false
                ? ExitCodes.NotMet : code;
        });
        return command;
    }

    private static Command Stop()
    {
        var ids = new Argument<string[]>("id") { Description = "Ids of active faults, as 'drtools fault list' shows them.",
            Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all")
        {
            Description = "Undo every fault left behind by a process that is gone (a killed run, a fault start without --duration), "
                + "and delete DrTools' nftables tables such processes left; a fault a running drill holds is kept (stop it by id), "
                + "and so is a table a running process made.",
        };
        var root = CommonOptions.SandboxRoot();
        var json = CommonOptions.Json();
        var command = new Command("stop", "Undo faults.") { ids, all, root, json };
        command.SetAction(async (parse, _) =>
        {
            var chosen = parse.GetValue(ids) ?? [];
            if (parse.GetValue(all) == (chosen.Length > 0)) throw new Core.DrToolsException("fault stop: give fault ids or --all (one of "
                + "the two).", Core.DrErrorKind.InvalidArgument);
            // An undo is never cancelled half-way.
            if (parse.GetValue(all) && !parse.GetValue(json))
            {
                foreach (var kept in await Faults.KeptElsewhereAsync(CancellationToken.None)) Console.WriteLine(kept);
            }
            if (!parse.GetValue(all)) return Ended(await StopEachAsync(chosen), parse.GetValue(json));
            var code = Ended(await Faults.StopAllAsync(CancellationToken.None), parse.GetValue(json));
            // What fault check would still find is never left silently: stop --all did not undo it, so it fails naming it.
            var left = await Faults.LeftBehindAsync(parse.GetValue(root), CancellationToken.None);
            if (left.Clear) return code;
            const string Why = "recorded in another fault-state folder, DRTOOLS_FAULT_STATE, or not by DrTools";
            Console.Error.WriteLine($"drtools: not undone ({Why}): {left}");
            return ExitCodes.Error;
        });
        return command;
    }

    private static async Task<IReadOnlyList<FaultEnd>> StopEachAsync(IReadOnlyList<string> ids)
    {
        var ended = new List<FaultEnd>();
        foreach (var id in ids) ended.Add(await Faults.StopAsync(id, CancellationToken.None));
        return ended;
    }

    internal static int Ended(IReadOnlyList<FaultEnd> ended, bool json)
    {
        if (json) Output.Json(ended);
        else foreach (var end in ended) Console.WriteLine(end);
        foreach (var kept in ended.Select(e => e.RecordKept).OfType<string>()) Console.Error.WriteLine($"drtools: {kept}");
        return ended.All(e => e.Undone && e.RecordKept is null) ? ExitCodes.Success : ExitCodes.Error;
    }

    private static Command Check()
    {
        var sandbox = new Option<string?>("--sandbox",
            "-s") { Description = "A sandbox whose members are checked for frozen processes too." };
        var root = CommonOptions.SandboxRoot();
        var json = CommonOptions.Json();
        var command = new Command("check",
            $"Prove faults were undone: {FaultTrace.ClearText}; exit code 1 when something is left.") { sandbox, root, json };
        command.SetAction(async (parse, token) =>
        {
            var members = parse.GetValue(sandbox) is { } id ? FaultMembers.Of(Core.Sandboxes.Sandbox.Open(id, parse.GetValue(root))) : [];
            var trace = await FaultTrace.FindAsync(members, token);
            if (parse.GetValue(json)) Output.Json(trace);
            else Console.WriteLine(trace);
            return trace.Clear ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command List()
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List the faults in effect on this machine, whichever process started them.") { json };
        command.SetAction(parse =>
        {
            var faults = Faults.List();
            if (parse.GetValue(json)) Output.Json(faults);
            else Output.Table(["ID", "KIND", "MEMBER", "STARTED", "UNTIL", "PID"], faults.Select(f => new[]
            {
                f.Id, Output.Words(f.Kind.ToString()), f.Member, f.StartedAt.ToString("u"), f.Until?.ToString("u")
                    ?? "fault stop", f.OwnerPid.ToString(),
            }));
            return ExitCodes.Success;
        });
        return command;
    }
}
