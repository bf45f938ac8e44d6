using System.CommandLine;
using DrTools.Core.Faults;
using DrTools.Core.Monitoring;

namespace DrTools.Cli;

/// <summary>drtools alert wait|rules: alert checks against a monitoring sandbox or your own Prometheus and Alertmanager.</summary>
public static class AlertCommands
{
    public static Command Create() => new("alert",
        "Check that alerts fire and resolve: a monitoring sandbox's, or your own Prometheus and Alertmanager.") { Wait(), Rules() };

    private sealed class Sources
    {
        public Option<string?> Sandbox { get; } = new("--sandbox",
            "-s") { Description = "Id (or unique prefix) of a monitoring sandbox (drtools sandbox up --monitoring)." };
        public Option<string?> Root { get; } = CommonOptions.SandboxRoot();
        public Option<string?> Prometheus { get; } = new("--prometheus") { Description = "Prometheus' URL, for your own stack (e.g. "
            + "http://prometheus:9090)." };
        public Option<string?> Alertmanager { get; } = new("--alertmanager") { Description = "Alertmanager's URL, for your own stack (e.g. "
            + "http://alertmanager:9093)." };

        public void AddTo(Command command, bool alertmanager)
        {
            foreach (var option in new Option[] { Sandbox, Root, Prometheus }) command.Options.Add(option);
            if (alertmanager) command.Options.Add(Alertmanager);
        }

        public AlertSources Read(ParseResult parse) => AlertSources.Resolve(
            parse.GetValue(Sandbox) is { } id ? Core.Sandboxes.Sandbox.Open(id, parse.GetValue(Root))
                : null, parse.GetValue(Prometheus), parse.GetValue(Alertmanager));
    }

    private static Command Wait()
    {
        var sources = new Sources();
        var name = new Argument<string>("name") { Description = "The alert's name (its rule's alert:), e.g. InstanceDown." };
        var labels = new Option<string[]>("--label") { Description = "A label the alert must have, as NAME=VALUE (repeatable), e.g. "
            + "member=node0." };
        var state = new Option<AlertState>("--state") { Description = "firing (default) or resolved.", DefaultValueFactory = _
            => AlertState.Firing };
        var within = CommonOptions.Duration("--within", "How long it may take (default 60s).", TimeSpan.FromSeconds(60), positive: true);
        var json = CommonOptions.Json();
        var command = new Command("wait",
            "Wait until an alert fires (or resolves) in Alertmanager — and, on a monitoring sandbox, DrTools' receiver gets its "
            + "notification. Exit 1 when it does not in time, naming the rule and the last value Prometheus saw.")
        {
            name, labels, state, within, json,
        };
        sources.AddTo(command, alertmanager: true);
        command.SetAction(async (parse, token) =>
        {
            var result = await AlertWatch.WaitAsync(sources.Read(parse), new AlertWaitOptions(parse.GetValue(name)!)
            {
                Labels = FaultTargets.ParseParameters(parse.GetValue(labels) ?? []),
                State = parse.GetValue(state),
                Within = parse.GetValue(within)!.Value,
            }, token);
            if (parse.GetValue(json)) Output.Json(result);
            else Console.WriteLine(result);
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command Rules()
    {
        var sources = new Sources();
        var name = new Argument<string?>("name") { Description = "Only rules whose name matches (wildcards allowed).",
            Arity = ArgumentArity.ZeroOrOne };
        var json = CommonOptions.Json();
        var command = new Command("rules",
            "The alerting rules Prometheus evaluates now: state (inactive, pending, firing), expression and alerts.") { name, json };
        sources.AddTo(command, alertmanager: false);
        command.SetAction(async (parse, token) =>
        {
            var rules = await AlertRules.ListAsync(sources.Read(parse), parse.GetValue(name), token);
            if (parse.GetValue(json)) Output.Json(rules);
            else Output.Table(["RULE", "STATE", "FOR", "EXPRESSION", "ALERTS"], rules.Select(r => new[] { r.Name, r.State, r.Duration,
                r.Query, r.Alerts.Count.ToString() }));
            return ExitCodes.Success;
        });
        return command;
    }
}
