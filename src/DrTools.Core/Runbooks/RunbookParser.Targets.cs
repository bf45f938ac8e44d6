using DrTools.Core.Patroni;
using DrTools.Core.Sandboxes;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>The runbook's targets: sandboxes it creates, connection strings, Patroni clusters and Kubernetes workloads.</summary>
public static partial class RunbookParser
{
    private sealed partial class Reader
    {
        private List<RunbookTarget> Targets(YamlNode node)
        {
            var list = new List<RunbookTarget>();
            if (node is not YamlMappingNode mapping)
            {
                Fail(SourcePosition.Of(node), "targets: expected a mapping of target names, e.g. db: { sandbox: { standbys: 1 } }.");
                return list;
            }
            foreach (var (keyNode, value) in mapping.Children)
            {
                var name = ((YamlScalarNode)keyNode).Value ?? "";
                var where = $"target '{name}'";
                if (!Identifier().IsMatch(name)) Fail(SourcePosition.Of(keyNode), $"{where}: a target name is letters, digits and _.");
                var fields = Fields(value, ["engine", "sandbox", "connection", "allowDrill", "patroni", "kubernetes"], where);
                var allowed = fields.TryGetValue("allowDrill", out var allowedNode)
                    && (Boolean(allowedNode, $"{where} allowDrill") ?? false);
                if (fields.TryGetValue("kubernetes", out var kubernetesNode))
                {
                    foreach (var other in fields.Keys.Where(k => k is not ("kubernetes" or "allowDrill")))
                    {
                        Fail(SourcePosition.Of(fields[other]),
                            $"{where} {other}: a Kubernetes target takes only kubernetes: and allowDrill:.");
                    }
                    if (KubernetesTarget(kubernetesNode, allowed, $"{where} kubernetes") is { } kubernetes)
                    {
                        list.Add(new RunbookTarget(name, null, [], allowed, SourcePosition.Of(keyNode)) { Kubernetes = kubernetes });
                    }
                    continue;
                }
                var engine = fields.TryGetValue("engine", out var engineNode) ? Engine(engineNode, $"{where} engine")
                    : Engines.StoreEngines.PostgreSql;
                var hasSandbox = fields.TryGetValue("sandbox", out var sandboxNode);
                var hasConnection = fields.TryGetValue("connection", out var connectionNode);
                if (hasSandbox == hasConnection)
                {
                    Fail(SourcePosition.Of(value),
                        $"{where}: give either sandbox: {{ standbys: N, synchronous: true|false }} or connection: \"Host=...\" (one string "
                        + $"per member, or one with several hosts).");
                    continue;
                }
                SandboxOptions? sandbox = null;
                if (hasSandbox)
                {
                    sandbox = engine == Engines.StoreEngines.PostgreSql ? SandboxTarget(sandboxNode!, $"{where} sandbox")
                        : EngineSandboxTarget(sandboxNode!, engine, $"{where} sandbox");
                }
                var connections = hasConnection ? Strings(connectionNode!, $"{where} connection") : [];
                var connectionNodes = connectionNode is YamlSequenceNode items ? items.Children : [connectionNode!];
                if (connections.Count > 0) CheckConnections(engine, [.. connections.Zip(connectionNodes)], $"{where} connection");
                var allowDrill = allowed;
                var patroni = fields.TryGetValue("patroni", out var patroniNode) ? Strings(patroniNode, $"{where} patroni") : [];
                if (patroni.Count > 0 && engine != Engines.StoreEngines.PostgreSql) Fail(SourcePosition.Of(patroniNode!),
                    $"{where} patroni: Patroni runs PostgreSQL clusters; this target's engine is {engine}.");
                if (patroni.Count > 0 && hasSandbox) Fail(SourcePosition.Of(patroniNode!),
                    $"{where} patroni: a sandbox knows its own Patroni; patroni: lists the REST APIs of a cluster given by connection:.");
                foreach (var (url, urlNode) in patroni.Zip(patroniNode is YamlSequenceNode urls ? urls.Children : [patroniNode!]))
                {
                    try
                    {
                        PatroniManager.Parse([url]);
                    }
                    catch (DrToolsException e)
                    {
                        Fail(SourcePosition.Of(urlNode), $"{where} patroni: {e.Message}");
                    }
                }
                list.Add(new RunbookTarget(name, sandbox, connections, allowDrill || hasSandbox,
                    SourcePosition.Of(keyNode)) { Patroni = patroni, Engine = engine });
            }
            return list;
        }

        /// <summary>
        /// { kubeconfig:, context:, namespace:, deployment: | statefulset: | selector: } as kubectl names them; each may hold the runbook's
        /// ${variables}. Without a workload the target is the namespace.
        /// </summary>
        private Kubernetes.KubernetesTarget? KubernetesTarget(YamlNode node, bool allowDrill, string where)
        {
            var fields = Fields(node, KubernetesKeys, where);
            foreach (var (key, value) in fields)
            {
                Errors.AddRange(ArgumentBinder.Check(new OperationParameter(key, ParameterKind.String, ""), value, _variables, [],
                    $"{where}.{key}"));
            }
            var ns = Scalar(fields, "namespace", node, required: true, where);
            var workloads = Enum.GetValues<Kubernetes.WorkloadKind>()
                .Select(kind => (Kind: kind, Name: Scalar(fields, kind.ToString().ToLowerInvariant(), node, required: false, where)))
                .Where(w => w.Name is not null).ToList();
            if (workloads.Count > 1) Fail(SourcePosition.Of(node), $"{where}: name one workload ({string.Join(" or ",
                workloads.Select(w => w.Kind.ToString().ToLowerInvariant() + ":"))}).");
            if (ns is null) return null;
            var workload = workloads.FirstOrDefault();
            return new Kubernetes.KubernetesTarget(Scalar(fields, "kubeconfig", node, required: false, where),
                Scalar(fields, "context", node, required: false, where), ns, workload.Name is null ? null : workload.Kind, workload.Name,
                allowDrill);
        }

        /// <summary>{ standbys: N, synchronous: bool, sentinels: bool } for a MariaDB or Redis sandbox (sentinels: Redis only).</summary>
        private SandboxOptions EngineSandboxTarget(YamlNode node, string engine, string where)
        {
            var options = Fields(node, ["standbys", "synchronous", "sentinels"], where);
            var standbys = options.TryGetValue("standbys", out var standbysNode) ? Integer(standbysNode, $"{where}.standbys", 0,
                SandboxOptions.MaxStandbys) ?? 1 : 1;
            var synchronous = options.TryGetValue("synchronous", out var syncNode) && (Boolean(syncNode, $"{where}.synchronous") ?? false);
            var sentinels = options.TryGetValue("sentinels", out var sentinelNode) && (Boolean(sentinelNode, $"{where}.sentinels")
                ?? false);
            if (sentinels && engine != Engines.StoreEngines.Redis) Fail(SourcePosition.Of(sentinelNode!),
                $"{where}.sentinels: Sentinels watch Redis primaries; this target's engine is {engine}.");
            return new SandboxOptions { Engine = engine, Standbys = standbys, Synchronous = synchronous, Sentinels = sentinels };
        }

        /// <summary>{ standbys: N, synchronous: bool, faultProxy: bool, walDiskSize: 256MB, monitoring: bool } for DrTools' own cluster, or
        /// { topology: patroni, members: N, patroniSettings: [ttl=10, ...] }.</summary>
        private SandboxOptions? SandboxTarget(YamlNode node, string where)
        {
            var options = Fields(node, ["topology", "standbys", "members", "synchronous", "patroniSettings", "faultProxy", "walDiskSize",
                "monitoring"], where);
            var synchronous = options.TryGetValue("synchronous", out var syncNode) && (Boolean(syncNode, $"{where}.synchronous") ?? false);
            var monitoring = options.TryGetValue("monitoring", out var monitoringNode) && (Boolean(monitoringNode, $"{where}.monitoring")
                ?? false);
            var patroni = options.TryGetValue("topology", out var topologyNode) && Typed(topologyNode,
                text => text.ToLowerInvariant() switch
            {
                "patroni" => true,
                "streaming" => false,
                _ => throw new DrToolsException($"{where}.topology: '{text}' is not streaming or patroni."),
            }) == true;
            if (!patroni)
            {
                foreach (var key in new[] { "members", "patroniSettings" }.Where(options.ContainsKey)) Fail(SourcePosition.Of(options[key]),
                    $"{where}.{key}: only with topology: patroni.");
                var standbys = options.TryGetValue("standbys", out var standbysNode) ? Integer(standbysNode, $"{where}.standbys", 0,
                    SandboxOptions.MaxStandbys) ?? 1 : 1;
                var faultProxy = options.TryGetValue("faultProxy", out var proxyNode) && (Boolean(proxyNode, $"{where}.faultProxy")
                    ?? false);
                var walDiskSize = options.TryGetValue("walDiskSize", out var walNode)
                    ? Typed(walNode, text => SizeText.Parse(text, $"{where}.walDiskSize", Sandbox.MinWalDiskSize, Sandbox.MaxWalDiskSize))
                    : null;
                return new SandboxOptions { Standbys = standbys, Synchronous = synchronous, FaultProxy = faultProxy,
                    WalDiskSize = walDiskSize, Monitoring = monitoring };
            }
            if (options.TryGetValue("standbys", out var misplaced)) Fail(SourcePosition.Of(misplaced),
                $"{where}.standbys: a Patroni sandbox is sized with members: (its nodes, the leader included).");
            if (options.TryGetValue("faultProxy", out var proxied)) Fail(SourcePosition.Of(proxied),
                $"{where}.faultProxy: only for a streaming sandbox (a Patroni sandbox's members find each other through etcd, around any "
                + $"proxy).");
            if (options.TryGetValue("walDiskSize", out var walDisk)) Fail(SourcePosition.Of(walDisk),
                $"{where}.walDiskSize: only for a streaming sandbox (Patroni makes its members' data directories itself).");
            var members = options.TryGetValue("members", out var membersNode) ? Integer(membersNode, $"{where}.members", 1,
                SandboxOptions.MaxStandbys + 1) ?? 3 : 3;
            var settings = Patroni.PatroniSettings.Defaults;
            if (options.TryGetValue("patroniSettings", out var settingsNode))
            {
                try
                {
                    settings = settings.With(Strings(settingsNode, $"{where}.patroniSettings"));
                }
                catch (DrToolsException e)
                {
                    Fail(SourcePosition.Of(settingsNode), $"{where}.patroniSettings: {e.Message}");
                }
            }
            return new SandboxOptions { Topology = SandboxTopology.Patroni, Standbys = members - 1, Synchronous = synchronous,
                PatroniSettings = settings, Monitoring = monitoring };
        }

        /// <summary>
        /// The connection strings are read together by their engine's own parser now, numbered as the target's members: a
        /// bad one is refused before anything runs, at the string that holds it.
        /// </summary>
        private void CheckConnections(string engine, IReadOnlyList<(string Connection, YamlNode Node)> connections, string where)
        {
            var members = connections.SelectMany(c => (engine == Engines.StoreEngines.PostgreSql
                ? RunbookExecutor.SplitHosts(c.Connection) : [c.Connection]).Select(member => (Member: member, c.Node))).ToList();
            try
            {
                Engines.Stores.FromConnectionStrings(engine, [.. members.Select(m => m.Member)]);
            }
            catch (DrToolsException e)
            {
                var number = MemberNumber().Match(e.Message) is { Success: true } named ? int.Parse(named.Groups[1].Value) : 1;
                Fail(SourcePosition.Of(members[Math.Clamp(number, 1, members.Count) - 1].Node), $"{where}: {e.Message}");
            }
        }

        private string Engine(YamlNode node, string where)
        {
            try
            {
                return node is YamlScalarNode { Value: { } text } ? Engines.StoreEngines.Parse(text, where)
                    : throw new DrToolsException($"{where}: expected one of {string.Join(", ", Engines.StoreEngines.Names)}.");
            }
            catch (DrToolsException e)
            {
                Fail(SourcePosition.Of(node), e.Message);
                return Engines.StoreEngines.PostgreSql;
            }
        }
    }
}
