namespace DrTools.Core.Probes;

/// <summary>One poll of every member, at the moment it was sent on the drill's clock.</summary>
public sealed record RoleRound(TimeSpan At, IReadOnlyList<RoleReading> Readings)
{
    public IReadOnlyList<string> Primaries => Readings.Where(r => r.Primary == true).Select(r => r.Member).ToList();
}
