using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using static DrTools.Core.Measurement;

namespace DrTools.Core.Failover;

/// <summary>
/// When the writer behind an endpoint has settled, seen only through the endpoint (a drill an HA manager DrTools does not
/// know recovers): every write through it for a clean stretch acknowledged by one server, read back from it, and still so
/// while the probes run on. The stretch is 1 s; once the endpoint failed after the new writer's first acknowledgement, 3 s,
/// or twice as long as it went on failing, if longer: a proxy whose health checks flap hands new connections to the old
/// writer only now and then (an independent client saw 20-50 ms every 0.6-2.1 s), between which a short stretch looks clean.
/// </summary>
internal sealed class EndpointSettling(FailoverPlan plan, DbMember endpoint, Probe writes, Probe? reads, TimeSpan firstAfter)
{
    /// <summary>The shortest clean stretch.</summary>
    public static readonly TimeSpan StableFor = TimeSpan.FromSeconds(1);

    /// <summary>The shortest clean stretch once the endpoint failed after the new writer's first acknowledgement.</summary>
    public static readonly TimeSpan StableAfterTrouble = TimeSpan.FromSeconds(3);

    /// <summary>The clean stretch the writer was judged on when it last seemed to hold.</summary>
    public TimeSpan Stable { get; private set; } = StableFor;

    /// <summary>
    /// The attempts through the endpoint since the new writer's first acknowledgement that did not reach
    /// <paramref name="writer"/>: failed writes, and reads when the read probe uses the endpoint too (answered by another
    /// server, or failed). Attempts the probes' own stop cut short are no one's.
    /// </summary>
    private IEnumerable<Attempt> Trouble(string writer) =>
        writes.Samples.Where(s => s.Sent >= firstAfter && !s.Stopped && !s.Succeeded).Select(s => new Attempt(s, "write"))
            .Concat((reads?.Samples ?? []).Where(s => s.Sent >= firstAfter && !s.Stopped && (!s.Succeeded || s.Host != writer))
                .Select(s => new Attempt(s, "read")))
            .OrderBy(t => t.Sample.Sent);

    private sealed record Attempt(ProbeSample Sample, string Kind);

    /// <summary>
    /// Null once the writes acknowledged in the last clean stretch (at least three) all came from one server, nothing
    /// through the endpoint missed it then, every client of the probe had one acknowledged by it, and the newest is read
    /// back through the endpoint from that server; else what is missing.
    /// </summary>
    public async Task<string?> UnsettledAsync(CancellationToken cancellationToken)
    {
        var acknowledged = writes.Samples.Where(s => s.Succeeded && s.Acknowledged >= firstAfter).ToList();
        if (acknowledged.Count == 0) return "no write acknowledged yet";
        var last = acknowledged[^1];
        var trouble = Trouble(last.Host!).ToList();
        Stable = trouble.Count == 0 ? StableFor : Max(StableAfterTrouble, 2 * (trouble[^1].Sample.Sent - firstAfter));
        var recent = acknowledged.Where(s => s.Acknowledged >= last.Acknowledged - Stable).ToList();
        var servers = recent.Select(s => s.Host).Distinct().ToList();
        if (servers.Count > 1) return $"writes were acknowledged by {string.Join(" and ", servers)} within {DurationText.Format(Stable)}";
        // A write refused meanwhile (a proxy still handing new connections to the old writer, now read-only), or a read
        // the old writer answered, is the outage going on for the clients that met it.
        if (trouble.LastOrDefault(t => t.Sample.Sent >= last.Acknowledged - Stable) is { } missed)
        {
            return $"{Describe(missed, last.Host!)} (the endpoint must be clean for {DurationText.Format(Stable)})";
        }
        var clean = last.Acknowledged!.Value - (trouble.Count == 0 ? firstAfter : trouble[^1].Sample.Sent);
        if (clean < Stable || recent.Count < 3)
        {
            return $"{servers[0]} acknowledged {recent.Count} write(s) for less than {DurationText.Format(Stable)}";
        }
        if (writes.Unserved(firstAfter, last.Host!) is { } unserved) return unserved;
        var (server, held) = await (ExternalDrill.Member(plan, last.Host!) ?? endpoint).QueryAsync(
            "select host(inet_server_addr()) || ':' || inet_server_port(), "
                + $"exists (select 1 from {Probe.Table} where run_id = '{writes.RunId}' and seq = {last.Sequence})",
            r => (r.IsDBNull(0) ? null : r.GetString(0), r.GetBoolean(1)), cancellationToken);
        return server != last.Host ? $"a read through {plan.Target.Name} reached {server}, not the writer {last.Host}"
            : held ? null : $"probe write {last.Sequence}, acknowledged by {last.Host}, was not read back from it";
    }

    /// <summary>
    /// Null while the writer still holds as it did at <paramref name="held"/>: nothing sent since the stretch it was judged
    /// on missed that server. A write that failed meanwhile (a proxy whose round robin had kept the old writer from the
    /// probe's new connections only by chance), went elsewhere, or a read another server answered, means it had not.
    /// </summary>
    public string? Relapse(SettledTopology held)
    {
        var from = held.At - Stable;
        if (Trouble(held.Primary).FirstOrDefault(t => t.Sample.Sent >= from) is { } missed)
        {
            return $"{Describe(missed, held.Primary)} after the writer seemed to hold at +{Seconds(held.At)} s";
        }
        return writes.Samples.FirstOrDefault(s => s.Sent >= from && s.Succeeded && s.Host != held.Primary) is { } elsewhere
            ? $"a write sent at +{Seconds(elsewhere.Sent)} s was acknowledged by {elsewhere.Host}, not {held.Primary}, after the "
                + $"writer seemed to hold at +{Seconds(held.At)} s"
            : null;
    }

    /// <summary>"a read through 127.0.0.1:6432 sent at +2.19 s was answered by …, not the writer …" / "… failed: …".</summary>
    private string Describe(Attempt missed, string writer) =>
        $"a {missed.Kind} through {plan.Target.Name} sent at +{Seconds(missed.Sample.Sent)} s "
            + (missed.Sample.Succeeded
                ? $"was answered by {missed.Sample.Host}, not the writer {writer}"
                : $"failed: {missed.Sample.Error}");

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
