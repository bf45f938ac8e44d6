namespace DrTools.Core.Postgres;

/// <summary>
/// The cluster an operation works on: its members, and whether destructive drills (failover, kill, restore) are
/// allowed on it. Sandboxes are allowed; anything else only when the user says so explicitly.
/// </summary>
public sealed record DbTarget(string Name, IReadOnlyList<DbMember> Members, bool AllowDrill)
{
    public static DbTarget FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName = null, string? password = null, TimeSpan? connectTimeout = null, bool allowDrill = false)
    {
        if (connectionStrings.Count == 0)
        {
            throw new DrToolsException("no members given: pass at least one connection string.", DrErrorKind.InvalidArgument);
        }
        var members = connectionStrings.Select((text, index) => DbMember.Parse(text, index + 1, userName: userName, password: password, connectTimeout: connectTimeout)).ToList();
        var duplicate = members.GroupBy(m => m.Endpoint).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new DrToolsException($"member {duplicate.Key} is given more than once.", DrErrorKind.InvalidArgument);
        }
        return new DbTarget(string.Join(",", members.Select(m => m.Endpoint)), members, allowDrill);
    }

    public DbMember Member(string nameOrEndpoint) =>
        Members.FirstOrDefault(m => m.Name == nameOrEndpoint || m.Endpoint == nameOrEndpoint)
        ?? throw new DrToolsException($"'{nameOrEndpoint}' is not a member of {Name} (members: {string.Join(", ", Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);

    /// <summary>Refuses a destructive operation on a target not allowed for drills.</summary>
    public void DemandDrillAllowed(string operation)
    {
        if (!AllowDrill)
        {
            throw new DrToolsException($"{operation} refused: {Name} is not allowed for drills. Sandboxes are; for any other cluster allow it explicitly (-AllowDrillOn / --allow-drill).", DrErrorKind.NotAllowed);
        }
    }
}
