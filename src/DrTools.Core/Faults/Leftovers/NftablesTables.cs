namespace DrTools.Core.Faults.Leftovers;

/// <summary>DrTools' nftables tables (network faults), named after the member's port.</summary>
internal sealed class NftablesTables : FaultLeftover
{
    public static NftablesTables Instance { get; } = new();

    public override string Name => "nftables table";

    public override string NoneText => "no nftables table of DrTools";

    public override async Task<IReadOnlyList<string>> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken) =>
        (Nftables.Usable ? await Nftables.TablesAsync(cancellationToken) : [])
            .Where(t => Concerns(members, port => t.Contains($"_{port}_", StringComparison.Ordinal))).ToList();

    /// <summary>Leaves out the tables of held faults and those another running process made with no record here.</summary>
    public override async Task<IReadOnlyList<string>> LeftBehindAsync(IReadOnlyList<FaultRecord> held, IReadOnlyList<FaultMember> free,
        CancellationToken cancellationToken)
    {
        var foreign = (await Faults.TablesHeldElsewhereAsync(cancellationToken)).Select(t => t.Table).ToHashSet();
        return (await FindAsync([], cancellationToken)).Where(t => !foreign.Contains(t)
            && !held.Any(f => t.Contains(f.Id.Replace('-', '_'), StringComparison.Ordinal))).ToList();
    }

    public override Task<IReadOnlyList<FaultEnd>> SweepAsync(IReadOnlyList<FaultRecord> undone, CancellationToken cancellationToken) =>
        NetworkFault.RemoveStrayTablesAsync(undone, cancellationToken);
}
