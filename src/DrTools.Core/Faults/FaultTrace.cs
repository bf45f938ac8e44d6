using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

/// <summary>
/// What faults left on this machine: recorded faults, DrTools' nftables tables, cgroup labels, and — of the members
/// checked — frozen processes, toxics in their fault proxy and DiskFull's filler files on their WAL disks.
/// </summary>
public sealed record FaultTrace(IReadOnlyList<string> Active, IReadOnlyList<string> Tables, IReadOnlyList<string> Labels,
    IReadOnlyList<string> Frozen)
{
    public IReadOnlyList<string> Toxics { get; init; } = [];
    public IReadOnlyList<string> Fillers { get; init; } = [];

    public bool Clear => Active.Count == 0 && Tables.Count == 0 && Labels.Count == 0 && Frozen.Count == 0 && Toxics.Count == 0
        && Fillers.Count == 0;

    public override string ToString() => Clear
        ? "no fault left: none recorded, no nftables table of DrTools, no cgroup label, no frozen process, no proxy toxic, no disk filler"
        : "left: " + string.Join("; ", new[] { ("fault", Active), ("nftables table", Tables), ("cgroup label", Labels), ("frozen process",
            Frozen), ("proxy toxic", Toxics), ("disk filler", Fillers) }
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
        var tables = (Nftables.Usable ? await Nftables.TablesAsync(cancellationToken)
            : []).Where(t => Concerns(port => t.Contains($"_{port}_", StringComparison.Ordinal))).ToList();
        var labels = MemberCgroup.Labels().Where(l => Concerns(port => l.EndsWith($"/member-{port}", StringComparison.Ordinal))).ToList();
        var active = FaultRegistry.List().Where(f => Concerns(port => f.Member.EndsWith($":{port})", StringComparison.Ordinal)
            || f.Member.EndsWith($":{port}", StringComparison.Ordinal)));
        var frozen = members.Where(m => m.DataDirectory is not null)
            .SelectMany(m => ProcessTable.FindByWorkingDirectory(m.DataDirectory!).Where(ProcessTable.IsStopped)
                .Select(pid => $"{m.Name} PID {pid}"))
            .ToList();
        var fillers = members.Select(m => m.WalVolume).OfType<string>().Where(Directory.Exists)
            .SelectMany(volume => Directory.EnumerateFiles(volume, DiskFullFault.FillerPrefix + "*")).ToList();
        return new FaultTrace(active.Select(f => f.ToString()).ToList(), tables, labels, frozen) { Toxics = await ToxicsAsync(members,
            cancellationToken), Fillers = fillers };
    }

    /// <summary>The toxics on the members' listeners of their fault proxy (one proxy per sandbox).</summary>
    private static async Task<IReadOnlyList<string>> ToxicsAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken)
    {
        var toxics = new List<string>();
        foreach (var proxy in members.Select(m => m.Proxy).OfType<FaultProxyEndpoint>().GroupBy(p => p.ControlSocket))
        {
            var control = new Proxy.FaultProxyControl(proxy.Key);
            if (!control.Exists) continue;
            var ports = proxy.Select(p => p.Port).ToHashSet();
            toxics.AddRange((await control.ListAsync(cancellationToken)).Where(l => ports.Contains(l.Port))
                .SelectMany(l => l.Toxics.Select(t => $"{t.Kind} {t.Id} on port {l.Port}")));
        }
        return toxics;
    }
}
