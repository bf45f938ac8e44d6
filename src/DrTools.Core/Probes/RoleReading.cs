namespace DrTools.Core.Probes;

/// <summary>What one member said of its own role at one poll: primary or not, or null (with why) when it did not answer.</summary>
public sealed record RoleReading(string Member, bool? Primary, string? Error)
{
    /// <summary>An earlier ask's failure, standing while the member is not asked again (<see cref="KeptRoleConnections{T}"/>).</summary>
    public bool Repeated { get; init; }
}
