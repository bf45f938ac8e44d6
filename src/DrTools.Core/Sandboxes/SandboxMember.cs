using System.Text.Json.Serialization;

namespace DrTools.Core.Sandboxes;

public sealed record SandboxMember(string Name, int Port, string DataDirectory, string LogFile)
{
    /// <summary>A Patroni node's REST API port; null in a streaming sandbox.</summary>
    public int? RestPort { get; init; }

    /// <summary>The port of the fault proxy in front of the member, which clients and standbys use; null without one.</summary>
    public int? ProxyPort { get; init; }

    /// <summary>The port clients and standbys connect to: the fault proxy's when there is one.</summary>
    [JsonIgnore] public int ClientPort => ProxyPort ?? Port;
}
