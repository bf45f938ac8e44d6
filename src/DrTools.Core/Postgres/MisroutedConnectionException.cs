namespace DrTools.Core.Postgres;

/// <summary>
/// A connection through an endpoint (a proxy, a DNS name) reached another server than the one it must: a new connection may
/// not, once the endpoint caught up with the change of writer.
/// </summary>
public sealed class MisroutedConnectionException(string message) : DrToolsException(message, DrErrorKind.ConnectionFailed);
