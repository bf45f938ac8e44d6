using System.Globalization;

namespace DrTools.Core.Engines;

/// <summary>"db1:5433" in a connection string's Host or Server: the port written on the host, as several-host strings do.</summary>
public static class HostPort
{
    /// <summary>
    /// The host and the port written on it (null when none is); an IPv6 address (several colons) stays whole. A port
    /// that is not 1 to 65535 is bad input, described to <paramref name="invalid"/>: the client library would look the
    /// whole text up as a host name and fail later, as an unreachable member.
    /// </summary>
    public static (string Host, int? Port) Split(string host, Func<string, DrToolsException> invalid)
    {
        var colon = host.IndexOf(':');
        if (colon < 0 || colon != host.LastIndexOf(':')) return (host, null);
        var text = host[(colon + 1)..];
        if (colon == 0) throw invalid($"Host '{host}' names no host before its port.");
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw invalid($"Host '{host}' names port '{text}', not a port number (1 to 65535).");
        }
        return (host[..colon], port);
    }
}
