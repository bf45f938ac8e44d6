namespace DrTools.Core.Engines;

/// <summary>A cluster of any store as drills name and guard it: what it is called, its engine, and whether destructive drills are allowed on it.</summary>
public interface IDrillTarget
{
    string Name { get; }
    /// <summary>The store's engine name: postgresql, mariadb, redis.</summary>
    string Engine { get; }
    bool AllowDrill { get; }
    IReadOnlyList<IStoreMember> Members { get; }

    /// <summary>Refuses a destructive operation on a target not allowed for drills.</summary>
    void DemandDrillAllowed(string operation)
    {
        if (!AllowDrill)
        {
            throw new DrToolsException($"{operation} refused: {Name} is not allowed for drills. Sandboxes are; for any other cluster name every member explicitly (-AllowDrillOn / --allow-drill-on host:port, or DRTOOLS_ALLOW_DRILL_ON). Nothing was changed.", DrErrorKind.NotAllowed);
        }
    }
}

/// <summary>A member of a store's cluster as drills and reports name it.</summary>
public interface IStoreMember
{
    string Name { get; }
    /// <summary>host:port.</summary>
    string Endpoint { get; }
    /// <summary>The name, with the endpoint when they differ.</summary>
    string Display { get; }
}
