using DrTools.Core.Faults.Leftovers;

namespace DrTools.Core.Faults;

/// <summary>
/// What faults left on this machine: recorded faults, and what each fault kind can leave besides its record
/// (<see cref="FaultLeftover"/>: DrTools' nftables tables and cgroup labels, and — of the members checked — frozen
/// processes, toxics in their fault proxy and DiskFull's filler files on their WAL disks).
/// </summary>
public sealed record FaultTrace(IReadOnlyList<string> Active, IReadOnlyDictionary<string, IReadOnlyList<string>> Left)
{
    // What Test-DrFault's columns and `fault check --json` have always shown; a leftover added later is in Left alone.
    public IReadOnlyList<string> Tables => Of(NftablesTables.Instance);
    public IReadOnlyList<string> Labels => Of(CgroupLabels.Instance);
    public IReadOnlyList<string> Frozen => Of(FrozenProcesses.Instance);
    public IReadOnlyList<string> Toxics => Of(ProxyToxics.Instance);
    public IReadOnlyList<string> Fillers => Of(DiskFillers.Instance);

    private IReadOnlyList<string> Of(FaultLeftover leftover) => Left.GetValueOrDefault(leftover.Name) ?? [];

    public bool Clear => Active.Count == 0 && Left.Values.All(found => found.Count == 0);

    /// <summary>What a clear trace proves, as help says it: "none recorded, no nftables table of DrTools, …".</summary>
    public static string ClearText => $"none recorded, {string.Join(", ", Faults.Leftovers.Select(l => l.NoneText))}";

    public override string ToString() => Clear
        ? $"no fault left: {ClearText}"
        : "left: " + string.Join("; ", Left.Prepend(new("fault", Active)).Where(l => l.Value.Count > 0)
            .Select(l => $"{l.Value.Count} {l.Key}(s): {string.Join(", ", l.Value)}"));

    /// <summary>
    /// Looks for every trace a fault can leave: of faults on <paramref name="members"/> (and their processes frozen),
    /// or, without members, of any fault on this machine. A drill's check of its own target is not failed by another
    /// drill's fault elsewhere on the machine.
    /// </summary>
    public static async Task<FaultTrace> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken)
    {
        var active = FaultRegistry.List().Where(f => members.Count == 0 || members.Any(m => FaultLeftover.OnPort([f], m.Port)));
        var left = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var leftover in Faults.Leftovers) left[leftover.Name] = await leftover.FindAsync(members, cancellationToken);
        return new FaultTrace(active.Select(f => f.ToString()).ToList(), left);
    }
}
