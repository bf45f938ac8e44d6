namespace DrTools.Core.Patroni;

/// <summary>The configuration files of a Patroni sandbox's etcd, Patroni nodes and HAProxy.</summary>
internal static class PatroniConfig
{
    public const string ReplicationUser = "replicator";

    public static IReadOnlyList<string> EtcdArguments(PatroniEndpoints endpoints, string dataDirectory) =>
    [
        "--name", "etcd0", "--data-dir", dataDirectory,
        "--listen-client-urls", endpoints.EtcdUrl.ToString().TrimEnd('/'),
        "--advertise-client-urls", endpoints.EtcdUrl.ToString().TrimEnd('/'),
        "--listen-peer-urls", $"http://127.0.0.1:{endpoints.EtcdPeerPort}",
        "--initial-advertise-peer-urls", $"http://127.0.0.1:{endpoints.EtcdPeerPort}",
        "--initial-cluster", $"etcd0=http://127.0.0.1:{endpoints.EtcdPeerPort}",
    ];

    /// <param name="parameters">PostgreSQL settings every node runs with.</param>
    public static string Patroni(PatroniEndpoints endpoints, PatroniNode node, PatroniSettings settings, string superuser,
        string password, string binDirectory, string socketDirectory, IReadOnlyDictionary<string, string> parameters) => $"""
        # Written by DrTools for a Patroni sandbox.
        scope: {Quote(endpoints.Scope)}
        namespace: /drtools/
        name: {Quote(node.Name)}
        restapi:
          listen: 127.0.0.1:{node.RestPort}
          connect_address: 127.0.0.1:{node.RestPort}
        etcd3:
          hosts: 127.0.0.1:{endpoints.EtcdPort}
        bootstrap:
          dcs:
        {string.Join("\n", settings.Values.Select(v => $"    {v.Key}: {v.Value}"))}
            postgresql:
              use_pg_rewind: true
              use_slots: true
              parameters:
        {string.Join("\n", parameters.Select(p => $"        {p.Key}: {Quote(p.Value)}"))}
          initdb:
          - encoding: UTF8
          - locale: C
          - data-checksums
          pg_hba:
          - host replication {ReplicationUser} 127.0.0.1/32 scram-sha-256
          - host all all 127.0.0.1/32 scram-sha-256
        postgresql:
          listen: 127.0.0.1:{node.Port}
          connect_address: 127.0.0.1:{node.Port}
          data_dir: {Quote(node.DataDirectory)}
          bin_dir: {Quote(binDirectory)}
          pgpass: {Quote(Path.Combine(node.ServiceDirectory, "pgpass"))}
          authentication:
            superuser:
              username: {Quote(superuser)}
              password: {Quote(password)}
            replication:
              username: {ReplicationUser}
              password: {Quote(password)}
            rewind:
              username: {Quote(superuser)}
              password: {Quote(password)}
          parameters:
            unix_socket_directories: {Quote(socketDirectory)}

        """;

    /// <summary>
    /// HAProxy as Patroni's documentation sets it up: a read-write port routed to the node whose REST API answers 200 on
    /// /primary, a read-only port to those answering /replica, checks every 3 s, down after 3 failures, sessions to a
    /// node marked down closed; plus a statistics page to read which node it routes to.
    /// </summary>
    public static string Haproxy(PatroniEndpoints endpoints, IReadOnlyList<PatroniNode> nodes) => $"""
        # Written by DrTools for a Patroni sandbox.
        global
            maxconn 200

        defaults
            mode tcp
            timeout connect 2s
            timeout client 30m
            timeout server 30m
            timeout check 2s

        listen stats
            mode http
            bind 127.0.0.1:{endpoints.StatsPort}
            stats enable
            stats uri /stats

        listen primary
            bind 127.0.0.1:{endpoints.WritePort}
            option httpchk GET /primary
            http-check expect status 200
            default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions
        {Servers(nodes)}

        listen replicas
            bind 127.0.0.1:{endpoints.ReadPort}
            balance roundrobin
            option httpchk GET /replica
            http-check expect status 200
            default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions
        {Servers(nodes)}

        """;

    private static string Servers(IEnumerable<PatroniNode> nodes) =>
        string.Join("\n", nodes.Select(n => $"    server {n.Name} 127.0.0.1:{n.Port} maxconn 100 check port {n.RestPort}"));

    /// <summary>A YAML single-quoted scalar.</summary>
    private static string Quote(string value) => $"'{value.Replace("'", "''")}'";
}
