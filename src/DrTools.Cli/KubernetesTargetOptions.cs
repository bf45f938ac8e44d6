using System.CommandLine;
using System.CommandLine.Parsing;
using DrTools.Core;
using DrTools.Core.Kubernetes;

namespace DrTools.Cli;

/// <summary>The options that name a Kubernetes namespace or workload, as kubectl takes them.</summary>
public sealed class KubernetesTargetOptions
{
    public Option<string?> Kubeconfig { get; } = new("--kubeconfig")
    {
        Description = "The kubeconfig file (default: as kubectl finds it, KUBECONFIG or ~/.kube/config).",
    };

    public Option<string?> Context { get; } = new("--context") { Description = "The kubeconfig context (default: its current one)." };

    public Option<string> Namespace { get; } = new("--namespace", "-n") { Description = "The namespace.", Required = true };

    /// <summary>One option a workload kind: --deployment, --statefulset, --selector (-l, as kubectl's).</summary>
    public IReadOnlyDictionary<WorkloadKind, Option<string?>> Workloads { get; } = Enum.GetValues<WorkloadKind>().ToDictionary(kind => kind,
        kind => new Option<string?>($"--{kind.ToString().ToLowerInvariant()}", kind == WorkloadKind.Selector ? ["-l"] : [])
        {
            Description = WorkloadKinds.Help(kind),
        });

    public Option<string[]> AllowDrillOn { get; } = new("--allow-drill-on")
    {
        Description = "A namespace that drills may act on (kube-system only by that name). Also DRTOOLS_ALLOW_DRILL_ON.",
    };

    private bool _allowDrill;

    public void AddTo(Command command, bool allowDrill = false)
    {
        _allowDrill = allowDrill;
        command.Options.Add(Kubeconfig);
        command.Options.Add(Context);
        command.Options.Add(Namespace);
        foreach (var option in Workloads.Values) command.Options.Add(option);
        if (allowDrill) command.Options.Add(AllowDrillOn);
    }

    public KubernetesTarget Resolve(ParseResult parse, bool workloadRequired)
    {
        var named = Workloads.Where(w => parse.GetValue(w.Value) is not null).ToList();
        if (named.Count > 1)
        {
            throw new DrToolsException($"{string.Join(" and ", named.Select(w => w.Value.Name))} both name a workload: give one.",
                DrErrorKind.InvalidArgument);
        }
        if (named.Count == 0 && workloadRequired)
        {
            throw new DrToolsException($"no workload named: give {string.Join(" or ", Workloads.Values.Select(o => o.Name))}.",
                DrErrorKind.InvalidArgument);
        }
        var ns = parse.GetValue(Namespace)!;
        var allowed = _allowDrill && KubernetesTarget.AllowedBy(ns, parse.GetValue(AllowDrillOn));
        return named.Count == 0
            ? new KubernetesTarget(parse.GetValue(Kubeconfig), parse.GetValue(Context), ns, AllowDrill: allowed)
            : new KubernetesTarget(parse.GetValue(Kubeconfig), parse.GetValue(Context), ns, named[0].Key, parse.GetValue(named[0].Value),
                allowed);
    }
}
