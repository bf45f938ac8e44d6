using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

/// <summary>What faults left on this machine: recorded faults, DrTools' nftables tables, cgroup labels, and frozen processes of the members checked.</summary>
public sealed record FaultTrace(IReadOnlyList<string> Active, IReadOnlyList<string> Tables, IReadOnlyList<string> Labels, IReadOnlyList<string> Frozen)
{
    public bool Clear => Active.Count == 0 && Tables.Count == 0 && Labels.Count == 0 && Frozen.Count == 0;

    public override string ToString() => Clear
        ? "no fault left: none recorded, no nftables table of DrTools, no cgroup label, no frozen process"
        : "left: " + string.Join("; ", new[] { ("fault", Active), ("nftables table", Tables), ("cgroup label", Labels), ("frozen process", Frozen) }
            .Where(t => t.Item2.Count > 0).Select(t => $"{t.Item2.Count} {t.Item1}(s): {string.Join(", ", t.Item2)}"));

    /// <summary>
    /// Looks for every trace a fault can leave: of faults on <paramref name="members"/> (and their processes frozen),
    /// or, without members, of any fault on this machine. A drill's check of its own target is not failed by another
    /// drill's fault elsewhere on the machine.
    /// </summary>
    public static async Task<FaultTrace> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken)
    {
        var ports = members.Select(m => m.Port).ToHashSet();
        bool Concerns(Func<int, bool> names) => ports.Count == 0 || ports.Any(names);
        var tables = (Nftables.Usable ? await Nftables.TablesAsync(cancellationToken) : []).Where(t => Concerns(port => t.Contains($"_{port}_", StringComparison.Ordinal))).ToList();
        var labels = MemberCgroup.Labels().Where(l => Concerns(port => l.EndsWith($"/member-{port}", StringComparison.Ordinal))).ToList();
        var active = FaultRegistry.List().Where(f => Concerns(port => f.Member.EndsWith($":{port})", StringComparison.Ordinal) || f.Member.EndsWith($":{port}", StringComparison.Ordinal)));
        var frozen = members.Where(m => m.DataDirectory is not null)
            .SelectMany(m => ProcessTable.FindByWorkingDirectory(m.DataDirectory!).Where(ProcessTable.IsStopped).Select(pid => $"{m.Name} PID {pid}")).ToList();
        return new FaultTrace(active.Select(f => f.ToString()).ToList(), tables, labels, frozen);
    }
}
