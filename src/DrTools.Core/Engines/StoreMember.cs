namespace DrTools.Core.Engines;

/// <summary>A member reached at host:port, named in messages as "node1 (127.0.0.1:5433)", or by its endpoint alone.</summary>
public abstract class StoreMember(string name, string host, int port) : IStoreMember
{
    public string Name { get; } = name;
    public string Host { get; } = host;
    public int Port { get; } = port;
    public string Endpoint => $"{Host}:{Port}";
    public string Display => Name == Endpoint ? Name : $"{Name} ({Endpoint})";
    public override string ToString() => Display;
}
