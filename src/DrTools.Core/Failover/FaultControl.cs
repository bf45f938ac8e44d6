using DrTools.Core.Faults;
using DrTools.Core.Postgres;

namespace DrTools.Core.Failover;

/// <summary>
/// A drill whose fault comes from the fault library (a partition, a freeze, packet loss …): injected on the primary
/// through the library, which records and always undoes it. Before the old primary is touched again (rejoined) or
/// left behind (the drill's end), it is fenced while the fault still holds — its processes SIGKILLed — and only then
/// is the fault undone: a primary cut off or frozen would otherwise come back accepting writes beside the new one.
/// </summary>
internal sealed class FaultControl(IMemberControl inner, FaultSpec spec, Func<DbMember,
    FaultRequest> request) : IMemberControl, IAsyncDisposable
{
    private FaultRecord? _active;
    private DbMember? _primary;

    public string FaultDescription(DbMember primary) =>
        $"{Faults.Faults.Plan(request(primary))}; the old primary is fenced (SIGKILL of its processes) before the fault is undone";

    public async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
    {
        _primary = primary;
        _active = await Faults.Faults.StartAsync(request(primary), null, cancellationToken);
        return $"{_active.Description} (fault {_active.Id})";
    }

    public Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken) => inner.StopCleanlyAsync(primary,
        cancellationToken);

    public Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken) => inner.FinalLsnAsync(stoppedPrimary,
        cancellationToken);

    public Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken) =>
        inner.RepointStandbyAsync(standby, newPrimary, cancellationToken);

    public async Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName,
        CancellationToken cancellationToken)
    {
        await FenceAndUndoAsync();
        return await inner.RejoinAsync(oldPrimary, newPrimary, applicationName, cancellationToken);
    }

    public async Task<DiscardedTransactions> DiscardedAsync(DbMember oldPrimary, DbMember newPrimary, CancellationToken cancellationToken)
    {
        await FenceAndUndoAsync();
        return await inner.DiscardedAsync(oldPrimary, newPrimary, cancellationToken);
    }

    /// <summary>The drill failed before any promotion: the fault is undone and the primary serves again.</summary>
    public async Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken)
    {
        await UndoAsync();
        return await inner.RestartAsync(member, cancellationToken);
    }

    public ValueTask DisposeAsync() => new(FenceAndUndoAsync());

    private async Task FenceAndUndoAsync()
    {
        if (_active is null) return;
        if (spec.Kind != FaultKind.Kill) await inner.FenceAsync(_primary!, CancellationToken.None);
        await UndoAsync();
    }

    private async Task UndoAsync()
    {
        if (_active is not { } active) return;
        _active = null;
        var end = await Faults.Faults.StopAsync(active, CancellationToken.None);
        if (!end.Undone) throw new DrToolsException($"fault {active.Id} ({active.Description}) could not be undone: {end.Undo}; drtools "
            + $"fault stop --all retries.", DrErrorKind.InvalidOperation);
    }
}
