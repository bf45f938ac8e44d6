namespace DrTools.Core.Engines;

/// <summary>A member of a store's cluster as drills and reports name it.</summary>
public interface IStoreMember
{
    string Name { get; }
    /// <summary>host:port.</summary>
    string Endpoint { get; }
    /// <summary>The name, with the endpoint when they differ.</summary>
    string Display { get; }
}
