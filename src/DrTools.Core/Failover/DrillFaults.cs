using DrTools.Core.Faults;

namespace DrTools.Core.Failover;

/// <summary>A drill's fault as the user names it: one of Patroni's node faults, or one from the fault library.</summary>
public static class DrillFaults
{
    /// <summary>Every fault a failover drill can inflict on its primary: ReplicationDelay acts on a standby only.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetNames<NodeFault>(), .. LibraryKinds.Select(k => k.ToString())];

    /// <summary>The fault library's kinds a drill can inflict on its primary.</summary>
    public static IReadOnlyList<FaultKind> LibraryKinds => [.. Faults.Faults.DatabaseKinds.Where(k => k != FaultKind.ReplicationDelay)];

    /// <summary>The options with the named fault (and its parameters) set; an unknown name, or parameters a node fault does not take,
    /// refused.</summary>
    public static FailoverOptions With(FailoverOptions options, string? name, IReadOnlyDictionary<string, string>? parameters)
    {
        parameters ??= new Dictionary<string, string>();
        if (name is null)
        {
            return parameters.Count == 0 ? options
                : throw new DrToolsException("fault parameters are for a fault from the fault library: name it (-Fault / --fault "
                + "Partition, Latency, DiskFull …).", DrErrorKind.InvalidArgument);
        }
        if (Enum.TryParse<NodeFault>(name, ignoreCase: true, out var node) && Enum.IsDefined(node))
        {
            return parameters.Count == 0 ? options with { Fault = node } : throw new DrToolsException($"fault {node} takes no parameters.",
                DrErrorKind.InvalidArgument);
        }
        if (Enum.TryParse<FaultKind>(name.Replace("-", ""), ignoreCase: true, out var kind) && Names.Contains(kind.ToString()))
        {
            return options with { LibraryFault = new FaultSpec(kind, parameters) };
        }
        throw new DrToolsException($"fault '{name}': one of {string.Join(", ", Names)}.", DrErrorKind.InvalidArgument);
    }
}
