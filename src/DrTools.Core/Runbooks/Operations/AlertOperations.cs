using DrTools.Core.Faults;
using DrTools.Core.Monitoring;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Alert checks as steps: an alert must fire (or resolve) in time; the rules Prometheus evaluates now.</summary>
internal static class AlertOperations
{
    private static IEnumerable<OperationParameter> Sources() =>
    [
        Target(required: false),
        new("prometheus", ParameterKind.String,
            "Prometheus' URL, when the target is not a monitoring sandbox (e.g. http://127.0.0.1:9090)."),
        new("alertmanager", ParameterKind.String,
            "Alertmanager's URL, when the target is not a monitoring sandbox (e.g. http://127.0.0.1:9093)."),
    ];

    private static AlertSources Resolve(OperationContext context, StepArguments args) =>
        AlertSources.Resolve(args.String("target") is { } target ? context.Sandbox(target) : null, args.String("prometheus"),
            args.String("alertmanager"));

    public static IReadOnlyList<RunbookOperation> All { get; } =
    [
        new("Wait-DrAlert", typeof(AlertWaitResult),
            "Waits for an alert to fire (or resolve) in Alertmanager — and, on a monitoring sandbox, for DrTools' receiver to get the "
            + "notification — within a time; fails naming the rule and the last value Prometheus saw.",
            [
                .. Sources(),
                new("name", ParameterKind.String, "The alert's name (its rule's alert:), e.g. InstanceDown.") { Required = true },
                new("label", ParameterKind.StringList, "Labels the alert must have, as NAME=VALUE, e.g. [member=node0]."),
                new("state", ParameterKind.Choice, "Firing (default) or Resolved.") { Choices = Enum.GetNames<AlertState>() },
                new("within", ParameterKind.Duration, "How long it may take (default 60s).") { Positive = true },
            ],
            async (context, args, token) => StepOutcomes.From(await AlertWatch.WaitAsync(Resolve(context, args),
                new AlertWaitOptions(args.Required("name"))
            {
                Labels = FaultTargets.ParseParameters(args.List("label") ?? []),
                State = Enum.Parse<AlertState>(args.String("state") ?? nameof(AlertState.Firing), ignoreCase: true),
                Within = args.Duration("within") ?? TimeSpan.FromSeconds(60),
            }, token, context.Clock), context)),

        new("Test-DrAlertRule", typeof(AlertRule),
            "The alerting rules Prometheus evaluates now: each one's expression, state (inactive, pending, firing) and alerts.",
            [.. Sources().Where(p => p.Name != "alertmanager"), new("name", ParameterKind.String,
                "Only rules whose name matches (wildcards allowed).")],
            async (context, args, token) => StepOutcomes.From(await AlertRules.ListAsync(Resolve(context, args), args.String("name"),
                token), context)),
    ];
}
