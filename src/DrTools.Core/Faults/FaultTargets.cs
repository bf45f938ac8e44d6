using DrTools.Core.Cluster;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Faults;

/// <summary>A fault request as the cmdlets, the command line and runbooks give it: a kind, a target, a member by name and
/// parameters.</summary>
public static class FaultTargets
{
    /// <summary>
    /// The request for <paramref name="member"/> (name or host:port; default the primary) of a target allowed for drills:
    /// a sandbox's members with their processes, or members given by connection strings, with data directories when
    /// given (<paramref name="dataDirectories"/>: MEMBER=DIRECTORY). The "from" parameter names the peers.
    /// </summary>
    public static async Task<FaultRequest> ResolveAsync(FaultKind kind, DbTarget target, Sandbox? sandbox, string? member,
        IReadOnlyDictionary<string, string> parameters,
        IReadOnlyList<string>? dataDirectories, CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed($"{kind} fault");
        if (member is null)
        {
            var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
            member = status.Primary?.Name
                ?? throw new DrToolsException($"{kind} fault: name the member; {target.Name} has no primary to default to "
                + $"({status.Verdict}).", DrErrorKind.InvalidArgument);
        }
        return Resolve(kind, target, sandbox, member, parameters, dataDirectories);
    }

    /// <summary>The request for a member named already (a drill's primary, say).</summary>
    public static FaultRequest Resolve(FaultKind kind, DbTarget target, Sandbox? sandbox, string member, IReadOnlyDictionary<string,
        string> parameters, IReadOnlyList<string>? dataDirectories)
    {
        target.DemandDrillAllowed($"{kind} fault");
        var directories = Failover.LocalControl.ParseDataDirectories(dataDirectories ?? []);
        var members = sandbox is not null
            ? FaultMembers.Of(sandbox)
            : target.Members.Select(m => FaultMembers.From(m, directories.GetValueOrDefault(m.Name)
                ?? directories.GetValueOrDefault(m.Endpoint))).ToList();
        FaultMember Find(string name) => members.FirstOrDefault(m => m.Name == name || m.Endpoint == name)
            ?? throw new DrToolsException($"'{name}' is not a member of {target.Name} (members: "
                + $"{string.Join(", ", members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);
        var chosen = Find(member);
        var peers = parameters.TryGetValue("from", out var from) && from.Trim() != "everyone"
            ? from.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Find).ToList()
            : [];
        if (from is not null && from.Trim() != "everyone" && peers.Count == 0)
        {
            throw DrToolsException.Refused(
                $"{kind} of {chosen.Display}: from: '{from}' names no member; "
                + "give members (comma-separated) or leave it out to mean everyone",
                DrErrorKind.InvalidArgument);
        }
        if (peers.Contains(chosen)) throw new DrToolsException($"{kind} of {chosen.Display}: a member is not cut from itself (from: "
            + $"{from}).", DrErrorKind.InvalidArgument);
        return new FaultRequest(kind, chosen) { Peers = peers, Parameters = parameters };
    }

    /// <summary>Reads NAME=VALUE parameters as the command line and runbooks write them; a malformed one is named.</summary>
    public static IReadOnlyDictionary<string, string> ParseParameters(IEnumerable<string> pairs)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var at = pair.IndexOf('=');
            if (at <= 0) throw new DrToolsException($"fault parameter '{pair}': write it as NAME=VALUE, e.g. percent=30.",
                DrErrorKind.InvalidArgument);
            parameters[pair[..at].Trim()] = pair[(at + 1)..].Trim();
        }
        return parameters;
    }
}
