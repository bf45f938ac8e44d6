using DrTools.Core.Cluster;

namespace DrTools.Core.Patroni;

/// <summary>
/// Patroni as a cluster's HA manager: its view from the first REST API that answers (/cluster, /history), judged
/// against the members as PostgreSQL reported them.
/// </summary>
public sealed class PatroniManager(IReadOnlyList<Uri> restApis) : IHaManager
{
    public IReadOnlyList<Uri> RestApis { get; } = restApis.Count > 0 ? restApis
        : throw new DrToolsException("Patroni: give at least one REST API URL.", DrErrorKind.InvalidArgument);

    /// <summary>Reads URLs as a user gives them (http://host:8008); a malformed one is refused, naming it.</summary>
    public static PatroniManager Parse(IEnumerable<string> urls) => new(urls.Select(url =>
        Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && uri.PathAndQuery == "/"
            ? uri
            : throw new DrToolsException($"Patroni REST API '{url}': write it as http://HOST:PORT (Patroni's restapi.connect_address).",
                DrErrorKind.InvalidArgument)).ToList());

    /// <summary>How long every REST API together may take to answer.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    public async Task<HaManagerStatus> InspectAsync(IReadOnlyList<MemberStatus> members, CancellationToken cancellationToken)
    {
        var (api, cluster, failures) = await PatroniApi.FirstAnswerAsync(RestApis, AnswerTimeout, cancellationToken);
        if (api is not null)
        {
            try
            {
                return Judge($"Patroni at {api.BaseUrl}", cluster!, (await api.HistoryAsync(cancellationToken)).LastOrDefault(), members);
            }
            catch (DrToolsException e) when (e.Kind == DrErrorKind.ConnectionFailed)
            {
                failures = [e.Message];
            }
        }
        return new HaManagerStatus("Patroni", null, [], false, null,
            [$"Patroni: no REST API answered, so its view is unknown ({string.Join("; ", failures)})"]);
    }

    private static HaManagerStatus Judge(string manager, PatroniClusterView cluster, PatroniHistoryEntry? last,
        IReadOnlyList<MemberStatus> members)
    {
        var listed = cluster.Members.Select(m => new HaManagerMember(m.Name, $"{m.Host}:{m.Port}", m.Role, m.State, m.Timeline, m.LagBytes,
            m.PendingRestart)).ToList();
        string Display(HaManagerMember member) => members.FirstOrDefault(m => ClusterInspector.SameEndpoint(m.Endpoint,
            member.Endpoint))?.Display ?? $"{member.Name} ({member.Endpoint})";
        var problems = new List<string>();
        if (cluster.Paused) problems.Add("Patroni is paused (maintenance mode): no automatic failover would happen");
        var leader = cluster.Leader is { } found ? listed.Single(m => m.Name == found.Name) : null;
        var primaries = members.Where(m => m.Role == MemberRole.Primary).ToList();
        if (leader is null) problems.Add("Patroni has no leader");
        else if (primaries.Count == 1 && !ClusterInspector.SameEndpoint(primaries[0].Endpoint, leader.Endpoint))
        {
            problems.Add($"Patroni's leader is {Display(leader)}, but the member that accepts writes is {primaries[0].Display}");
        }
        foreach (var member in listed.Where(m => m.State is not ("running" or "streaming")))
        {
            problems.Add($"Patroni lists {Display(member)} as {member.Role}, state '{member.State}'");
        }
        foreach (var member in members.Where(m => !listed.Any(l => ClusterInspector.SameEndpoint(l.Endpoint, m.Endpoint))))
        {
            problems.Add($"{member.Display} is not a member Patroni lists");
        }
        var lastFailover = last is null ? null
            : $"timeline {last.Timeline} ended{(last.At is { } at ? $" at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "")}"
                + $"{(last.NewLeader is { } next ? $", new leader {next}" : "")} ({last.Reason})";
        return new HaManagerStatus(manager, leader is null ? null : Display(leader), listed, cluster.Paused, lastFailover, problems);
    }
}
