using System.CommandLine;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>drtools sandbox up|down|list</summary>
public static class SandboxCommands
{
    public static Command Create() => new("sandbox", "Create, list and remove disposable PostgreSQL sandboxes on 127.0.0.1.") { Up(), Down(), List() };

    public static Option<int> Standbys() => new("--standbys") { Description = "Number of streaming standbys (0 to 8).", DefaultValueFactory = _ => 1 };

    public static Option<bool> Synchronous() => new("--synchronous") { Description = "Synchronous replication: ANY 1 standby confirms each commit." };

    private static Command Up()
    {
        var standbys = Standbys();
        var synchronous = Synchronous();
        var root = CommonOptions.SandboxRoot();
        var json = CommonOptions.Json();
        var command = new Command("up", "Create a sandbox that keeps running until 'drtools sandbox down'.") { standbys, synchronous, root, json };
        command.SetAction(async (parse, token) =>
        {
            var sandbox = await Sandbox.CreateAsync(new SandboxOptions
            {
                Standbys = parse.GetValue(standbys),
                Synchronous = parse.GetValue(synchronous),
                Root = parse.GetValue(root),
                Persistent = true,
            }, token);
            if (parse.GetValue(json)) Output.Json(Output.Describe(sandbox));
            else Output.Sandbox(sandbox);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Down()
    {
        var ids = new Argument<string[]>("id") { Description = "Sandbox ids (or unique prefixes).", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Remove every sandbox, including ones left by killed processes." };
        var root = CommonOptions.SandboxRoot();
        var command = new Command("down", "Stop a sandbox's servers and delete its directory.") { ids, all, root };
        command.SetAction(async (parse, _) =>
        {
            var chosen = parse.GetValue(ids) ?? [];
            if (parse.GetValue(all) == (chosen.Length > 0))
            {
                throw new Core.DrToolsException("sandbox down: give sandbox ids or --all (one of the two).", Core.DrErrorKind.InvalidArgument);
            }
            var where = parse.GetValue(root);
            foreach (var id in parse.GetValue(all) ? Sandbox.List(where).Select(s => s.Id).ToArray() : chosen)
            {
                // Removal is never cancelled half-way: a sandbox is either still whole or gone.
                await Sandbox.RemoveAsync(id, where);
                Console.WriteLine($"removed sandbox {id}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var root = CommonOptions.SandboxRoot();
        var json = CommonOptions.Json();
        var command = new Command("list", "List sandboxes, including ones whose creator was killed (state orphaned).") { root, json };
        command.SetAction(parse =>
        {
            var sandboxes = Sandbox.List(parse.GetValue(root));
            if (parse.GetValue(json)) Output.Json(sandboxes);
            else Output.Table(["ID", "STATE", "MEMBERS", "OWNER PID", "CREATED"], sandboxes.Select(s => new[]
            {
                s.Id, s.State.ToString().ToLowerInvariant(),
                string.Join(", ", s.Members.Select(m => $"{m.Name}:{m.Port}{(m.Running ? "" : " (stopped)")}")),
                s.OwnerPid?.ToString() ?? "-", s.CreatedAt?.ToString("u") ?? "-",
            }));
            return ExitCodes.Success;
        });
        return command;
    }
}
