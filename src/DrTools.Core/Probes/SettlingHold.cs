namespace DrTools.Core.Probes;

/// <summary>One condition that kept the topology from settling, from the poll that first found it to the one that no longer did.</summary>
public sealed record SettlingHold(string Condition, TimeSpan From, TimeSpan To)
{
    public TimeSpan Duration => To - From;
}
