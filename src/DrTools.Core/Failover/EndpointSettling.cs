using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using static DrTools.Core.Measurement;

namespace DrTools.Core.Failover;

/// <summary>
/// When the writer behind an endpoint has settled, seen only through the endpoint (a drill an HA manager DrTools does not
/// know recovers): every write through it for a clean stretch acknowledged by one server, read back from it, and still so
/// while the probes run on. The stretch is the endpoint watch (10 s unless told), or twice the longest clean gap between
/// two failures through the endpoint after the new writer's first acknowledgement, if longer: a proxy whose health checks
/// flap hands new connections to the old writer only now and then (an independent client saw 20-50 ms every 0.6-3 s, the
/// first up to 4 s after a clean switch), between which a short stretch looks clean.
/// </summary>
internal sealed class EndpointSettling(FailoverPlan plan, DbMember endpoint, Probe writes, Probe? reads, TimeSpan firstAfter,
    TimeSpan watch)
{
    /// <summary>The clean stretch the writer was judged on when it last seemed to hold.</summary>
    public TimeSpan Stable { get; private set; }

    /// <summary>
    /// The attempts through the endpoint since the new writer's first acknowledgement that did not reach
    /// <paramref name="writer"/>: writes that failed or another server acknowledged (split brain), and reads when the read
    /// probe uses the endpoint too. Attempts the probes' own stop cut short are no one's.
    /// </summary>
    private IEnumerable<Attempt> Trouble(string writer) =>
        Missed(writes, "write", writer).Concat(reads is null ? [] : Missed(reads, "read", writer)).OrderBy(t => t.Sample.Sent);

    private IEnumerable<Attempt> Missed(Probe probe, string kind, string writer) => probe.Samples
        .Where(s => s.Sent >= firstAfter && !s.Stopped && (!s.Succeeded || s.Host != writer)).Select(s => new Attempt(s, kind));

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
        Stable = Max(watch, 2 * LongestGap(trouble));
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
        return Trouble(held.Primary).FirstOrDefault(t => t.Sample.Sent >= from) is { } missed
            ? $"{Describe(missed, held.Primary)} after the writer seemed to hold at +{Seconds(held.At)} s"
            : null;
    }

    /// <summary>The longest stretch without trouble from the new writer's first acknowledgement to the last trouble.</summary>
    private TimeSpan LongestGap(List<Attempt> trouble) => trouble.Count == 0 ? TimeSpan.Zero
        : trouble.Select(t => t.Sample.Sent).Prepend(firstAfter).Zip(trouble.Select(t => t.Sample.Sent), (a, b) => b - a).Max();

    /// <summary>
    /// How densely new connections were tried through the endpoint from the new writer's first acknowledgement to
    /// <paramref name="until"/>: "412 new connections (41/s), at most 93 ms apart". The clients that open one per attempt
    /// keep their rate only while connections are quick; a busy machine spaces them out.
    /// </summary>
    public string NewConnections(TimeSpan until)
    {
        var sent = writes.Samples.Where(s => s.Sent >= firstAfter && s.Sent <= until && writes.OpensEveryAttempt(s.Client))
            .Select(s => s.Sent).Order().ToList();
        if (sent.Count < 2) return $"{sent.Count} new connection(s)";
        var widest = sent.Zip(sent.Skip(1), (a, b) => b - a).Max();
        var rate = (sent.Count - 1) / (sent[^1] - sent[0]).TotalSeconds;
        return $"{sent.Count} new connections ({Math.Round(rate)}/s), at most {Math.Round(widest.TotalMilliseconds)} ms apart";
    }

    /// <summary>"a read through 127.0.0.1:6432 sent at +2.19 s was answered by …, not the writer …" / "… failed: …".</summary>
    private string Describe(Attempt missed, string writer) =>
        $"a {missed.Kind} through {plan.Target.Name} sent at +{Seconds(missed.Sample.Sent)} s "
            + (missed.Sample.Succeeded
                ? $"was {(missed.Kind == "write" ? "acknowledged" : "answered")} by {missed.Sample.Host}, not the writer {writer}"
                : $"failed: {missed.Sample.Error}");

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
