using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>What every drill has at its end, whoever recovered: its plan, clock, probes, fault moment and the primaries.</summary>
internal sealed record DrillEnd(FailoverPlan Plan, Guid RunId, MonotonicClock Clock, Timeline Timeline, Probe Writes, Probe Reads, TimeSpan Fault,
    DbMember OldPrimary, DbMember NewPrimary, DbChecksum? Before, FailoverOptions Options, string Start)
{
    /// <summary>The final primary, when the drill observed until the topology settled.</summary>
    public FinalPrimary? Final { get; init; }
}

/// <summary>What a drill reads back from the store once the probes stopped: each engine's own queries.</summary>
internal interface IDrillReadback
{
    /// <summary>The run's acknowledged writes missing on the new primary.</summary>
    Task<WriteLoss> LostWritesAsync(Guid runId, IReadOnlyList<ProbeSample> writeSamples, CancellationToken cancellationToken);
    /// <summary>The checksums before the drill against the new primary's, when they were taken.</summary>
    Task<ChecksumComparison?> IntegrityAsync(CancellationToken cancellationToken);
    /// <summary>Runs before the topology is read (followers catching up).</summary>
    Task SettleAsync();
    Task<Cluster.ClusterStatus> TopologyAsync(CancellationToken cancellationToken);
    /// <summary>
    /// The final primary, when the drill observed until the topology settled: writes another member acknowledged once it
    /// was primary are then split-brain writes.
    /// </summary>
    FinalPrimary? FinalPrimary => null;
}

/// <summary>What a drill's probes measured as a client, whoever recovered the cluster: the outages and the lost writes.</summary>
internal sealed record FailoverFigures(Measurement WriteUnavailability, Measurement ReadReconnection, Measurement LostWrites, Measurement DataLossWindow)
{
    /// <summary>
    /// Stops the probes and measures what they saw (outages, exact lost writes on the new primary, integrity), then the
    /// result; <paramref name="settleAsync"/> runs before the topology is read (followers catching up), and the caller
    /// adds what only it knows with <c>with</c>.
    /// </summary>
    public static Task<FailoverResult> ResultAsync(DrillEnd end, string state, Func<Task> settleAsync, CancellationToken cancellationToken) =>
        ResultAsync(end.Plan, end.RunId, end.Clock, end.Timeline, end.Writes, end.Reads, end.Fault, end.Options, end.Start, end.OldPrimary.Display, end.NewPrimary.Display, state,
            new PostgresReadback(end, settleAsync), cancellationToken);

    /// <summary>As above for any store: what is read back comes from <paramref name="readback"/>.</summary>
    public static async Task<FailoverResult> ResultAsync(FailoverPlan plan, Guid runId, MonotonicClock clock, Timeline timeline, Probe writes, Probe reads, TimeSpan fault, FailoverOptions options,
        string start, string oldPrimary, string newPrimary, string state, IDrillReadback readback, CancellationToken cancellationToken)
    {
        if (options.BeforeProbesStop is { } hook) await hook(cancellationToken);
        var (writeSamples, readSamples) = (await writes.StopAsync(), await reads.StopAsync());
        timeline.Mark("probes stopped");
        var final = readback.FinalPrimary;
        var outage = ProbeAnalysis.Outage(writeSamples, fault, final);
        var readOutage = ProbeAnalysis.Outage(readSamples, fault);
        if (outage.LastBefore is { } lastWrite) timeline.Mark("last write acknowledged before the outage", $"on {lastWrite.Host}", lastWrite.Acknowledged);
        if (outage.FirstAfter is { } firstWrite) timeline.Mark("first write acknowledged after the outage", $"on {firstWrite.Host}", firstWrite.Acknowledged);
        if (readOutage.FirstAfter is { } firstRead) timeline.Mark("first read answered after the outage", $"by {firstRead.Host}", firstRead.Acknowledged);
        var loss = await readback.LostWritesAsync(runId, writeSamples, cancellationToken);
        var integrity = await readback.IntegrityAsync(cancellationToken);
        await readback.SettleAsync();
        var topology = await readback.TopologyAsync(cancellationToken);
        var figures = FromProbes(outage, readOutage, loss, writeSamples, readSamples, writes, reads, options, start);
        var unavailability = figures.WriteUnavailability;
        if (final is not null)
        {
            unavailability = unavailability with
            {
                Method = unavailability.Method + "; observed until the topology settled, the outage ends at the first write the final "
                    + $"primary {final.Server} acknowledged: writes other members acknowledged once it was primary are split-brain "
                    + "writes, not availability",
            };
        }
        return new FailoverResult
        {
            Target = plan.Target.Name,
            Engine = plan.Target.Engine,
            Mode = plan.Mode,
            RunId = runId,
            OldPrimary = oldPrimary,
            NewPrimary = newPrimary,
            StartedAt = clock.StartedAt,
            ClockOrigin = clock.Origin,
            Duration = clock.Elapsed,
            Timeline = timeline.Events,
            WriteUnavailability = unavailability,
            ReadReconnection = figures.ReadReconnection,
            LostWrites = figures.LostWrites,
            DataLossWindow = figures.DataLossWindow,
            LostSequences = loss.LostSequences,
            AcknowledgedWrites = loss.Acknowledged,
            UnacknowledgedButCommitted = loss.UnacknowledgedButCommitted,
            Integrity = integrity,
            TopologyAfter = topology,
            State = state,
            WriteSamples = writeSamples,
            ReadSamples = readSamples,
            LatencyFigures = [.. ProbeAnalysis.Latency("write", writeSamples), .. ProbeAnalysis.Latency("read", readSamples)],
            SplitBrainFigures = final is null
                ? []
                : [SplitBrain(ProbeAnalysis.SplitBrainWrites(writeSamples, final, loss.LostSequences), final)],
        };
    }

    private static Measurement SplitBrain(SplitBrainWrites writes, FinalPrimary final) => new(
        "writes acknowledged by another member than the final primary (split brain)", writes.Count, "writes", 0,
        $"probe writes acknowledged by a member other than the final primary {final.Server} from +{Seconds(final.Since)} s "
        + "(when it was primary) on the drill's monotonic clock"
        + (writes.Count == 0 ? "" : $": by {string.Join(", ", writes.Members)}, sent from +{Seconds(writes.From!.Value)} s, "
            + $"the last acknowledged at +{Seconds(writes.To!.Value)} s; {writes.Lost} of them lost (absent from {final.Server})"));

    private static string Seconds(TimeSpan at) => Measurement.Format(Math.Round(at.TotalSeconds, 3));

    private sealed class PostgresReadback(DrillEnd end, Func<Task> settleAsync) : IDrillReadback
    {
        public Task<WriteLoss> LostWritesAsync(Guid runId, IReadOnlyList<ProbeSample> writeSamples, CancellationToken cancellationToken) =>
            ProbeAnalysis.FindLostWritesAsync(end.NewPrimary, runId, writeSamples, cancellationToken);

        public async Task<ChecksumComparison?> IntegrityAsync(CancellationToken cancellationToken) =>
            end.Before is null ? null : DbChecksums.Compare(end.Before, await DbChecksums.TakeAsync(end.NewPrimary, end.Options.IntegrityTables, cancellationToken));

        public Task SettleAsync() => settleAsync();

        public Task<Cluster.ClusterStatus> TopologyAsync(CancellationToken cancellationToken) => Cluster.ClusterInspector.GetStatusAsync(end.Plan.Postgres, cancellationToken);

        public FinalPrimary? FinalPrimary => end.Final;
    }

    /// <param name="start">What the outage is counted from, for the method text ("the fault", "the stop request").</param>
    private static FailoverFigures FromProbes(Outage outage, Outage readOutage, WriteLoss loss, IReadOnlyList<ProbeSample> writeSamples, IReadOnlyList<ProbeSample> readSamples,
        Probe writes, Probe reads, FailoverOptions options, string start) => new(
        Unavailability("write unavailability (RTO)", outage, writeSamples, writes, options.WriteProbe, options.RtoTarget, start),
        Unavailability("read reconnection", readOutage, readSamples, reads, options.ReadProbe, options.RtoTarget, start),
        new Measurement("lost acknowledged writes", loss.LostSequences.Count, "writes", options.RpoTarget == TimeSpan.Zero ? 0 : null,
            $"the write probe's acknowledged sequence numbers ({loss.Acknowledged}) missing from {writes.ProbeData} on the new primary: exact, by sequence number"),
        new Measurement("data loss window (RPO)", loss.Window.TotalSeconds, "s", options.RpoTarget?.TotalSeconds,
            "from the acknowledgement of the last write that survived before the first lost one to the acknowledgement of the last lost write, on the drill's monotonic clock; 0 when no acknowledged write was lost"));

    private static Measurement Unavailability(string name, Outage outage, IReadOnlyList<ProbeSample> samples, Probe probe, ProbeOptions options, TimeSpan? target, string start)
    {
        var resolution = DurationText.Format(TimeSpan.FromSeconds(1 / options.Rate));
        var method = $"{options.Rate}/s {probe.Statement} through {probe.Path}: the longest gap between consecutive acknowledgements from the last one before {start} to the end of probing, on one monotonic clock (resolution {resolution}); {outage.FailedAttempts} attempt(s) failed in it";
        if (probe.ClientSettingsNote is { } note) method += "; NOTE: " + note;
        if (outage.Duration is { } duration) return new Measurement(name, duration.TotalSeconds, "s", target?.TotalSeconds, method);
        // Never recovered while probing: the outage lasted at least until the probe stopped.
        var lastAttempt = samples.Count == 0 ? outage.Fault : samples.Max(s => s.Sent);
        return new Measurement(name, (lastAttempt - (outage.LastBefore?.Acknowledged ?? outage.Fault)).TotalSeconds, "s", target?.TotalSeconds,
            method + "; NO attempt succeeded after the outage began before the probe stopped, so this is a lower bound");
    }

}
