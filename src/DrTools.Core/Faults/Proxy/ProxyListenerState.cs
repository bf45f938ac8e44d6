using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Faults.Proxy;

public sealed record ProxyListenerState(int Port, int Upstream, int Connections, IReadOnlyList<ProxyToxic> Toxics);
