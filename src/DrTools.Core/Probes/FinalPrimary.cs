namespace DrTools.Core.Probes;

/// <summary>
/// The member a settled drill ended with as the primary, as the probes name the server that answered, and since when on
/// the drill's clock it was one (seen saying so, or asked to promote).
/// </summary>
public sealed record FinalPrimary(string Server, TimeSpan Since)
{
    /// <summary>
    /// An acknowledgement by another member of a write sent once this one was primary: two members took writes. A write
    /// in flight across that moment is not one: its commit may have come before (a killed primary's last acknowledgement,
    /// read late by a busy client, was one before).
    /// </summary>
    public bool SplitBrain(ProbeSample sample) => sample.Succeeded && sample.Sent >= Since
        && !(sample.Host is { } host && Cluster.ClusterInspector.SameEndpoint(host, Server));
}
