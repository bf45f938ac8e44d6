namespace DrTools.Core.Monitoring;

public sealed record AlertWaitOptions(string Name)
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public AlertState State { get; init; } = AlertState.Firing;
    public TimeSpan Within { get; init; } = TimeSpan.FromSeconds(60);
}
