using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Faults.Proxy;

internal static class ProxyJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };
}
