using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>What a drill's probes measured as a client, whoever recovered the cluster: the outages and the lost writes.</summary>
internal sealed record FailoverFigures(Measurement WriteUnavailability, Measurement ReadReconnection, Measurement LostWrites, Measurement DataLossWindow)
{
    /// <param name="start">What the outage is counted from, for the method text ("the fault", "the stop request").</param>
    public static FailoverFigures FromProbes(Outage outage, Outage readOutage, WriteLoss loss, IReadOnlyList<ProbeSample> writeSamples, IReadOnlyList<ProbeSample> readSamples,
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
