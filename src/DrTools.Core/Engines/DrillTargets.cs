namespace DrTools.Core.Engines;

public static class DrillTargets
{
    /// <summary>Refuses a destructive operation on a target not allowed for drills.</summary>
    public static void DemandDrillAllowed(this IDrillTarget target, string operation)
    {
        if (!target.AllowDrill)
        {
            throw new DrToolsException($"{operation} refused: {target.Name} is not allowed for drills. Sandboxes are; for any other "
                + $"cluster name every member explicitly (-AllowDrillOn / --allow-drill-on host:port, or DRTOOLS_ALLOW_DRILL_ON). Nothing "
                + $"was changed.", DrErrorKind.NotAllowed);
        }
    }

    /// <summary>
    /// Whether every member's endpoint is named in <paramref name="allowDrillOn"/> or DRTOOLS_ALLOW_DRILL_ON (an entry
    /// without a port means <paramref name="defaultPort"/>): a drill kills and promotes, so the user must name each server.
    /// </summary>
    public static bool AllowedByName(IEnumerable<IStoreMember> members, IReadOnlyCollection<string>? allowDrillOn, int defaultPort)
    {
        var allowed = (allowDrillOn ?? []).Concat(Postgres.DbTarget.ConfiguredDrillTargets).ToList();
        return members.All(m => allowed.Any(a => Cluster.ClusterInspector.SameEndpoint(a.Contains(':') ? a : $"{a}:{defaultPort}",
            m.Endpoint)));
    }

    /// <summary>Refuses a member given twice: a drill would count it twice.</summary>
    public static void RefuseDuplicates(IEnumerable<IStoreMember> members)
    {
        if (members.GroupBy(m => m.Endpoint).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new DrToolsException($"member {duplicate.Key} is given more than once.", DrErrorKind.InvalidArgument);
        }
    }
}
