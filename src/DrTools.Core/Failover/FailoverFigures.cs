using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>What every drill has at its end, whoever recovered: its plan, clock, probes, fault moment and the primaries.</summary>
internal sealed record DrillEnd(FailoverPlan Plan, Guid RunId, MonotonicClock Clock, Timeline Timeline, Probe Writes, Probe Reads, TimeSpan Fault,
    DbMember OldPrimary, DbMember NewPrimary, DbChecksum? Before, FailoverOptions Options, string Start);

/// <summary>What a drill's probes measured as a client, whoever recovered the cluster: the outages and the lost writes.</summary>
internal sealed record FailoverFigures(Measurement WriteUnavailability, Measurement ReadReconnection, Measurement LostWrites, Measurement DataLossWindow)
{
    /// <summary>
    /// Stops the probes and measures what they saw (outages, exact lost writes on the new primary, integrity), then the
    /// result; <paramref name="settleAsync"/> runs before the topology is read (followers catching up), and the caller
    /// adds what only it knows with <c>with</c>.
    /// </summary>
    public static async Task<FailoverResult> ResultAsync(DrillEnd end, string state, Func<Task> settleAsync, CancellationToken cancellationToken)
    {
        var (writeSamples, readSamples) = (await end.Writes.StopAsync(), await end.Reads.StopAsync());
        end.Timeline.Mark("probes stopped");
        var outage = ProbeAnalysis.Outage(writeSamples, end.Fault);
        var readOutage = ProbeAnalysis.Outage(readSamples, end.Fault);
        if (outage.LastBefore is { } lastWrite) end.Timeline.Mark("last write acknowledged before the outage", $"on {lastWrite.Host}", lastWrite.Acknowledged);
        if (outage.FirstAfter is { } firstWrite) end.Timeline.Mark("first write acknowledged after the outage", $"on {firstWrite.Host}", firstWrite.Acknowledged);
        if (readOutage.FirstAfter is { } firstRead) end.Timeline.Mark("first read answered after the outage", $"by {firstRead.Host}", firstRead.Acknowledged);
        var loss = await ProbeAnalysis.FindLostWritesAsync(end.NewPrimary, end.RunId, writeSamples, cancellationToken);
        var integrity = end.Before is null ? null : DbChecksums.Compare(end.Before, await DbChecksums.TakeAsync(end.NewPrimary, end.Options.IntegrityTables, cancellationToken));
        await settleAsync();
        var topology = await Cluster.ClusterInspector.GetStatusAsync(end.Plan.Target, cancellationToken);
        var figures = FromProbes(outage, readOutage, loss, writeSamples, readSamples, end.Writes, end.Reads, end.Options, end.Start);
        return new FailoverResult
        {
            Target = end.Plan.Target.Name,
            Mode = end.Plan.Mode,
            RunId = end.RunId,
            OldPrimary = end.OldPrimary.Display,
            NewPrimary = end.NewPrimary.Display,
            StartedAt = end.Clock.StartedAt,
            ClockOrigin = end.Clock.Origin,
            Duration = end.Clock.Elapsed,
            Timeline = end.Timeline.Events,
            WriteUnavailability = figures.WriteUnavailability,
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
        };
    }

    /// <param name="start">What the outage is counted from, for the method text ("the fault", "the stop request").</param>
    private static FailoverFigures FromProbes(Outage outage, Outage readOutage, WriteLoss loss, IReadOnlyList<ProbeSample> writeSamples, IReadOnlyList<ProbeSample> readSamples,
        Probe writes, Probe reads, FailoverOptions options, string start) => new(
        Unavailability("write unavailability (RTO)", outage, writeSamples, writes, options.WriteProbe, options.RtoTarget, $"inserts into {Probe.Table}", start),
        Unavailability("read reconnection", readOutage, readSamples, reads, options.ReadProbe, options.RtoTarget, "one-row selects", start),
        new Measurement("lost acknowledged writes", loss.LostSequences.Count, "writes", options.RpoTarget == TimeSpan.Zero ? 0 : null,
            $"the write probe's acknowledged sequence numbers ({loss.Acknowledged}) missing from {Probe.Table} on the new primary: exact, by sequence number"),
        new Measurement("data loss window (RPO)", loss.Window.TotalSeconds, "s", options.RpoTarget?.TotalSeconds,
            "from the acknowledgement of the last write that survived before the first lost one to the acknowledgement of the last lost write, on the drill's monotonic clock; 0 when no acknowledged write was lost"));

    private static Measurement Unavailability(string name, Outage outage, IReadOnlyList<ProbeSample> samples, Probe probe, ProbeOptions options, TimeSpan? target, string statement, string start)
    {
        var resolution = DurationText.Format(TimeSpan.FromSeconds(1 / options.Rate));
        var method = $"{options.Rate}/s {statement} through {probe.Path}: the longest gap between consecutive acknowledgements from the last one before {start} to the end of probing, on one monotonic clock (resolution {resolution}); {outage.FailedAttempts} attempt(s) failed in it";
        if (probe.ClientSettingsNote is { } note) method += "; NOTE: " + note;
        if (outage.Duration is { } duration) return new Measurement(name, duration.TotalSeconds, "s", target?.TotalSeconds, method);
        // Never recovered while probing: the outage lasted at least until the probe stopped.
        var lastAttempt = samples.Count == 0 ? outage.Fault : samples.Max(s => s.Sent);
        return new Measurement(name, (lastAttempt - (outage.LastBefore?.Acknowledged ?? outage.Fault)).TotalSeconds, "s", target?.TotalSeconds,
            method + "; NO attempt succeeded after the outage began before the probe stopped, so this is a lower bound");
    }

}
