namespace DrTools.Core.Cluster;

/// <summary>A member as the HA manager lists it.</summary>
public sealed record HaManagerMember(string Name, string Endpoint, string Role, string State, int? Timeline, long? LagBytes,
    bool PendingRestart)
{
    public override string ToString() =>
        $"{Name} ({Endpoint}) {Role} {State}{(Timeline is { } timeline ? $" tl={timeline}" : "")}"
            + $"{(LagBytes is { } lag ? $" lag={lag}B" : "")}{(PendingRestart ? " pending restart" : "")}";
}
