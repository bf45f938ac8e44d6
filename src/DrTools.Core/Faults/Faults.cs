using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using DrTools.Core.Faults.Leftovers;

namespace DrTools.Core.Faults;

/// <summary>
/// Starts, lists and stops faults. Every fault is recorded before it is applied and undone from its record, so it is
/// undone whatever ends it: its stop, the end of its duration, Ctrl+C or SIGTERM of the run, or — after a SIGKILL —
/// <see cref="StopAllAsync"/> (drtools fault stop --all, sandbox down --all).
/// </summary>
public static class Faults
{
    private static readonly IReadOnlyList<IFaultKind> Kinds = [.. NetworkFault.Kinds, new FreezeFault(), .. Proxy.ProxyFault.Kinds,
        new KillFault(), new ReplicationDelayFault(), new CommandFault(), new ConnectionExhaustionFault(), new DiskFullFault(),
        .. Kubernetes.KubernetesFaults.Kinds];

    /// <summary>The kinds that act on a database member, in the enum's order: what the database surfaces offer.</summary>
    public static IReadOnlyList<FaultKind> DatabaseKinds { get; } = Ordered(k => !k.OnKubernetes);

    /// <summary>The kinds that act on a Kubernetes cluster: what drtools kubernetes and the Kubernetes cmdlets offer.</summary>
    public static IReadOnlyList<FaultKind> KubernetesKinds { get; } = Ordered(k => k.OnKubernetes);

    private static IReadOnlyList<FaultKind> Ordered(Func<IFaultKind, bool> which) =>
        [.. Kinds.Where(which).Select(k => k.Kind).Order()];

    /// <summary>Every kind of leftover the fault kinds name, in their order.</summary>
    internal static IReadOnlyList<FaultLeftover> Leftovers { get; } = [.. Kinds.SelectMany(k => k.Leftovers).Distinct()];

    /// <summary>
    /// <paramref name="kinds"/> as help lists them, each as <paramref name="word"/> spells it: those on the member first,
    /// then those that act through a sandbox's fault proxy ("partition, …, disk-full, and through a sandbox's fault proxy
    /// latency, … or blackhole").
    /// </summary>
    public static string KindList(IEnumerable<FaultKind> kinds, Func<string, string> word)
    {
        var proxied = Proxy.ProxyFault.Kinds.Select(k => k.Kind).ToHashSet();
        var (direct, throughProxy) = (kinds.Where(k => !proxied.Contains(k)).ToList(), kinds.Where(proxied.Contains).ToList());
        var text = string.Join(", ", direct.Select(k => word(k.ToString())));
        return throughProxy.Count == 0 ? text
            : $"{text}, and through a sandbox's fault proxy {string.Join(", ", throughProxy.SkipLast(1).Select(k => word(k.ToString())))}"
            + $"{(throughProxy.Count > 1 ? " or " : "")}{word(throughProxy[^1].ToString())}";
    }

    /// <summary>When each fault this process applied took effect, as a Stopwatch timestamp: the run's monotonic clock places it
    /// exactly.</summary>
    private static readonly ConcurrentDictionary<string, long> Applied = new();

    private static IFaultKind KindOf(FaultKind kind) => Kinds.Single(k => k.Kind == kind);

    /// <summary>Checks a request and describes it, changing nothing: the basis of -WhatIf and ShouldProcess.</summary>
    public static string Plan(FaultRequest request)
    {
        var kind = KindOf(request.Kind);
        var unknown = request.Parameters.Keys.Where(k => !kind.Parameters.ContainsKey(k)).ToList();
        if (unknown.Count > 0)
        {
            var takes = kind.Parameters.Count == 0 ? "it takes none"
                : $"it takes {string.Join(", ", kind.Parameters.Select(p => $"{p.Key}: {p.Value}"))}";
            throw new DrToolsException($"{request.Kind} takes no parameter '{unknown[0]}' ({takes}).", DrErrorKind.InvalidArgument);
        }
        // An empty value is a slip (from= with the members left out), never a choice: from= would mean everyone.
        if (request.Parameters.FirstOrDefault(p => string.IsNullOrWhiteSpace(p.Value)) is { Key: { } empty })
        {
            throw DrToolsException.Refused(
                $"{request.Kind} parameter '{empty}' is empty: give {kind.Parameters[empty]}, or leave it out",
                DrErrorKind.InvalidArgument);
        }
        kind.Check(request);
        return kind.Describe(request);
    }

    /// <summary>Applies the fault; on any failure to apply, whatever part was applied is undone and the error names what failed.</summary>
    public static async Task<FaultRecord> StartAsync(FaultRequest request, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var description = request.Reason is { } reason ? $"{Plan(request)}, for {reason}" : Plan(request);
        var kind = KindOf(request.Kind);
        var id = $"{request.Kind.ToString().ToLowerInvariant()}-{request.Member.Port}-"
            + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        var state = await kind.PrepareAsync(id, request, cancellationToken);
        var started = DateTimeOffset.UtcNow;
        var record = new FaultRecord(id, request.Kind, request.Member.Display, description, started, Environment.ProcessId) { State = state,
            Until = started + duration, Reason = request.Reason };
        FaultRegistry.Save(record);
        try
        {
            await kind.ApplyAsync(record, cancellationToken);
            Applied[id] = Stopwatch.GetTimestamp();
            return record;
        }
        catch (Exception e)
        {
            await StopAsync(record, CancellationToken.None);
            if (e is OperationCanceledException) throw;
            throw new DrToolsException($"{description}: not applied, and undone: "
                + $"{(e is DrToolsException known ? known.Message : e.Message)}", DrErrorKind.InvalidOperation, e);
        }
    }

    public static IReadOnlyList<FaultRecord> List() => FaultRegistry.List();

    /// <summary>Whether another process that is still running holds the fault (a drill in progress).</summary>
    public static bool HeldElsewhere(FaultRecord fault) => fault.OwnerPid != Environment.ProcessId
        && Processes.ProcessTable.IsAlive(fault.OwnerPid);

    /// <summary>When a fault this process applied took effect (a Stopwatch timestamp); null for another process's.</summary>
    public static long? AppliedAt(string id) => Applied.TryGetValue(id, out var applied) ? applied : null;

    public static Task<FaultEnd> StopAsync(string id, CancellationToken cancellationToken) => StopAsync(FaultRegistry.Find(id),
        cancellationToken);

    /// <summary>Undoes the fault and removes its record; a failed undo keeps the record (so stop --all can retry) and says why.</summary>
    public static async Task<FaultEnd> StopAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var undo = await KindOf(record.Kind).UndoAsync(record, cancellationToken);
            var undone = Stopwatch.GetTimestamp();
            string? recordKept = null;
            try
            {
                FaultRegistry.Remove(record.Id);
            }
            catch (DrToolsException e)
            {
                // Undone all the same: said so, never "NOT undone" for a fault that is gone.
                recordKept = e.Message;
            }
            return new FaultEnd(record, DateTimeOffset.UtcNow, true, undo)
            {
                Window = Applied.TryRemove(record.Id, out var applied) ? (applied, undone) : null,
                RecordKept = recordKept,
            };
        }
        catch (Exception e) when (e is DrToolsException or IOException)
        {
            return new FaultEnd(record, DateTimeOffset.UtcNow, false, e.Message);
        }
    }

    /// <summary>
    /// Undoes every fault left behind — recorded by a process that is gone (a killed run, a CLI that started one without
    /// a duration) — and this process's own, then removes DrTools' nftables tables whose maker is gone. A fault a
    /// running drill holds is its own to undo (or anyone's by its id): sweeping leftovers never pulls one from under it.
    /// </summary>
    public static async Task<IReadOnlyList<FaultEnd>> StopAllAsync(CancellationToken cancellationToken)
    {
        var ended = new List<FaultEnd>();
        foreach (var record in FaultRegistry.List().Where(r => !HeldElsewhere(r))) ended.Add(await StopAsync(record, cancellationToken));
        var undone = ended.Select(e => e.Fault).ToList();
        foreach (var leftover in Leftovers) ended.AddRange(await leftover.SweepAsync(undone, cancellationToken));
        return ended;
    }

    /// <summary>
    /// What fault check still finds after <see cref="StopAllAsync"/>: traces on this machine, and on the members of every
    /// sandbox under <paramref name="sandboxRoot"/> (a freeze recorded in another fault-state folder, whose record this
    /// process cannot see, leaves its processes stopped). Faults a running drill holds, and their members, are left out.
    /// </summary>
    public static async Task<FaultTrace> LeftBehindAsync(string? sandboxRoot, CancellationToken cancellationToken)
    {
        var held = FaultRegistry.List().Where(HeldElsewhere).ToList();
        var free = new List<FaultMember>();
        var sandboxes = Sandboxes.Sandbox.List(sandboxRoot)
            .Where(s => s.State != Sandboxes.SandboxState.NotASandbox && s.Kind != Sandboxes.SandboxKind.RunScratch);
        foreach (var found in sandboxes)
        {
            try
            {
                free.AddRange(FaultMembers.Of(Sandboxes.Sandbox.Open(found.Id, sandboxRoot))
                    .Where(m => !FaultLeftover.OnPort(held, m.Port)));
            }
            catch (DrToolsException)
            {
                // Removed meanwhile, or not a sandbox with members: nothing of it to look at.
            }
        }
        var heldIds = held.Select(f => f.ToString()).ToHashSet();
        var left = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var leftover in Leftovers) left[leftover.Name] = await leftover.LeftBehindAsync(held, free, cancellationToken);
        return new FaultTrace(FaultRegistry.List().Select(f => f.ToString()).Where(a => !heldIds.Contains(a)).ToList(), left);
    }

    /// <summary>
    /// DrTools' nftables tables another running process made with no record here (a drill whose faults are recorded in
    /// another fault-state folder): stop --all keeps them, as it keeps a recorded fault a running drill holds.
    /// </summary>
    public static async Task<IReadOnlyList<(string Table, int Maker)>> TablesHeldElsewhereAsync(CancellationToken cancellationToken)
    {
        if (!Nftables.Usable) return [];
        var recorded = FaultRegistry.List().Select(r => r.State.GetValueOrDefault("table")).ToHashSet();
        return (await Nftables.TablesAsync(cancellationToken))
            .Where(t => !recorded.Contains(t)).Select(t => (Table: t, Maker: Nftables.Maker(t)))
            .Where(t => t.Maker is { IsAlive: true } maker && maker.Pid != Environment.ProcessId)
            .Select(t => (t.Table, t.Maker!.Pid)).ToList();
    }

    /// <summary>What stop --all keeps of another running process's, one line each.</summary>
    public static async Task<IReadOnlyList<string>> KeptElsewhereAsync(CancellationToken cancellationToken) =>
        FaultRegistry.List().Where(HeldElsewhere)
            .Select(f => $"kept fault {f.Id}: process {f.OwnerPid}, which holds it, is running (undo it anyway by its id)")
            .Concat((await TablesHeldElsewhereAsync(cancellationToken)).Select(t =>
                $"kept nftables table inet {t.Table}: process {t.Maker}, which made it, is running "
                + "(its fault is recorded in another fault-state folder)"))
            .ToList();

    /// <summary>
    /// Holds the fault for <paramref name="duration"/> and returns it undone — also when cancelled (then it throws) —
    /// with what the HTTP probe saw meanwhile, when one was asked for.
    /// </summary>
    public static async Task<FaultEnd> HoldAsync(FaultRequest request, TimeSpan duration, Probes.HttpProbeOptions? http,
        CancellationToken cancellationToken, Action<FaultRecord>? started = null)
    {
        await using var probe = http is null ? null : Probes.HttpProbe.Start(http, new MonotonicClock());
        var (_, end) = await WithFaultAsync(request, duration, async (record, held) =>
        {
            started?.Invoke(record);
            await Task.Delay(duration, held);
            return true;
        }, cancellationToken);
        return probe is null ? end : end with { HttpProbe = await probe.StopAsync() };
    }

    /// <summary>
    /// Runs <paramref name="body"/> with the fault applied, and undoes it however the body ends — returns, throws, is
    /// cancelled or its time runs out.
    /// </summary>
    public static async Task<(T Result, FaultEnd End)> WithFaultAsync<T>(FaultRequest request, TimeSpan? duration, Func<FaultRecord,
        CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        var record = await StartAsync(request, duration, cancellationToken);
        T result;
        try
        {
            result = await body(record, cancellationToken);
        }
        catch
        {
            await StopAsync(record, CancellationToken.None);
            throw;
        }
        return (result, await StopAsync(record, CancellationToken.None));
    }
}
