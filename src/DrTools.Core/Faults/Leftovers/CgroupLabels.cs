namespace DrTools.Core.Faults.Leftovers;

/// <summary>The cgroups network faults label a member's processes with, so their rules match its connections.</summary>
internal sealed class CgroupLabels : FaultLeftover
{
    public static CgroupLabels Instance { get; } = new();

    public override string Name => "cgroup label";

    public override Task<IReadOnlyList<string>> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(MemberCgroup.Labels()
            .Where(l => Concerns(members, port => l.EndsWith($"/member-{port}", StringComparison.Ordinal))).ToList());

    /// <summary>Leaves out the labels of held faults' members and those a rule of another running process uses.</summary>
    public override async Task<IReadOnlyList<string>> LeftBehindAsync(IReadOnlyList<FaultRecord> held, IReadOnlyList<FaultMember> free,
        CancellationToken cancellationToken)
    {
        var foreign = await Faults.TablesHeldElsewhereAsync(cancellationToken);
        var rules = foreign.Count == 0 ? "" : await Nftables.RulesetAsync(cancellationToken);
        bool UsedByForeignRule(string label) => rules.Contains($"/{Path.GetFileName(label)}\"", StringComparison.Ordinal);
        return (await FindAsync([], cancellationToken)).Where(l => !UsedByForeignRule(l)
            && (!int.TryParse(l[(l.LastIndexOf('-') + 1)..], out var port) || !OnPort(held, port))).ToList();
    }

    public override Task<IReadOnlyList<FaultEnd>> SweepAsync(IReadOnlyList<FaultRecord> undone, CancellationToken cancellationToken) =>
        NetworkFault.RemoveStrayLabelsAsync(cancellationToken);
}
