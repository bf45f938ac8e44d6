namespace DrTools.Core.Faults.Leftovers;

/// <summary>
/// Something a fault can leave on this machine besides its record (a table, a stopped process, a file), found by
/// looking rather than by reading records: `fault check`, Test-DrFault and the tests' leftover checks see it even when
/// the record is gone. Each fault kind names those it can make (<see cref="IFaultKind.Leftovers"/>).
/// </summary>
internal abstract class FaultLeftover
{
    /// <summary>What one is called: "nftables table".</summary>
    public abstract string Name { get; }

    /// <summary>How none of it reads in the all-clear line.</summary>
    public virtual string NoneText => $"no {Name}";

    /// <summary>
    /// Those of faults on <paramref name="members"/>; without members, every one on this machine that can be found
    /// without knowing the member (a member's stopped processes or files are found only through it).
    /// </summary>
    public abstract Task<IReadOnlyList<string>> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken);

    /// <summary>
    /// What is left once every fault no running process holds was stopped: found on <paramref name="free"/>, the
    /// members of sandboxes on which no running drill holds a fault. One found machine-wide leaves out what the
    /// <paramref name="held"/> faults use.
    /// </summary>
    public virtual async Task<IReadOnlyList<string>> LeftBehindAsync(IReadOnlyList<FaultRecord> held, IReadOnlyList<FaultMember> free,
        CancellationToken cancellationToken) => free.Count == 0 ? [] : await FindAsync(free, cancellationToken);

    /// <summary>After the recorded faults were undone (stop --all): removes those whose maker is gone.</summary>
    public virtual Task<IReadOnlyList<FaultEnd>> SweepAsync(IReadOnlyList<FaultRecord> undone, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FaultEnd>>([]);

    /// <summary>Whether a fault in <paramref name="faults"/> is on the member at <paramref name="port"/>.</summary>
    public static bool OnPort(IEnumerable<FaultRecord> faults, int port) => faults.Any(f =>
        f.Member.EndsWith($":{port})", StringComparison.Ordinal) || f.Member.EndsWith($":{port}", StringComparison.Ordinal));

    protected static bool Concerns(IReadOnlyList<FaultMember> members, Func<int, bool> names) =>
        members.Count == 0 || members.Any(m => names(m.Port));
}
