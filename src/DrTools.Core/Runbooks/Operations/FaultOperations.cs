using DrTools.Core.Faults;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Faults as steps: held for a duration and undone by the step, or left in effect until a Stop-DrFault step (or the run's
/// end).</summary>
internal static class FaultOperations
{
    public static IReadOnlyList<RunbookOperation> All { get; } =
    [
        new("Start-DrFault", typeof(FaultRecord),
            "Injects a fault on a member: with duration:, held that long and undone by the step; without, in effect until a Stop-DrFault "
            + "step (save: it) or the end of the run, which undoes it.",
            [
                Target(),
                Member("inject the fault on"),
                new("kind", ParameterKind.Choice,
                    $"The fault: {Faults.Faults.KindList(Faults.Faults.DatabaseKinds, k => k)}.")
                {
                    Required = true, Choices = [.. Faults.Faults.DatabaseKinds.Select(k => k.ToString())],
                },
                new("parameter", ParameterKind.StringList,
                    "The kind's parameters as NAME=VALUE, e.g. [from=node0], [percent=30], [delay=30s], [start=..., undo=...]."),
                new("duration", ParameterKind.Duration, "How long the fault lasts; the step ends once it is undone.") { Positive = true },
                .. HttpProbeParameters(),
            ],
            async (context, args, token) =>
            {
                var target = args.Required("target");
                var request = await FaultTargets.ResolveAsync(Enum.Parse<FaultKind>(args.Required("kind")), context.Target(target),
                    context.Sandbox(target), args.String("member"),
                    FaultTargets.ParseParameters(args.List("parameter") ?? []), null, token);
                var http = HttpProbe(args);
                if (args.Duration("duration") is not { } duration)
                {
                    return http is null
                        ? StepOutcomes.From(await Faults.Faults.StartAsync(request, null, token), context)
                        : throw new DrToolsException("httpProbe runs while a fault is held: give duration: too.",
                            DrErrorKind.InvalidArgument);
                }
                return StepOutcomes.From(await Faults.Faults.HoldAsync(request, duration, http, token), context);
            }) { Measures = ["maxErrorRate", "p99"] },

        new("Test-DrFault", typeof(FaultTrace),
            "Passes when no fault is left: none recorded, no DrTools nftables table, no cgroup label; of the target's members no frozen "
            + "process, no fault proxy toxic, no DiskFull filler.",
            [Target(required: false)],
            async (context, args, token) =>
            {
                var members = args.String("target") is { } target && context.Sandbox(target) is { } sandbox ? FaultMembers.Of(sandbox) : [];
                return StepOutcomes.From(await FaultTrace.FindAsync(members, token), context);
            }),

        new("Stop-DrFault", typeof(FaultEnd), "Undoes a fault a Start-DrFault step left in effect; passes when the undo succeeded.",
            [new("id", ParameterKind.String, "The fault's id, e.g. \"${partition.Id}\".") { Required = true }],
            async (context, args, token) => StepOutcomes.From(await Faults.Faults.StopAsync(args.Required("id"), token), context)),
    ];
}
