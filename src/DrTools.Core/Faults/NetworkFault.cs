using System.Globalization;
using System.Text;
using DrTools.Core.Faults.Leftovers;

namespace DrTools.Core.Faults;

/// <summary>
/// Partition and PacketLoss through an nftables table of the fault's own. The action — drop, or drop a percentage —
/// applies directly to every packet whose ports say it belongs to the member: connections to its port, and its own
/// connections open now (read from /proc, both directions). Its own connections opened later are recognized by the
/// cgroup label of its processes: their first packet marks them in conntrack (tracked from their SYN), and the action
/// applies to every marked packet, both directions. Open connections never rely on conntrack, which may have missed
/// them (it runs only while some rule needs it) and would treat their packets as invalid.
/// </summary>
internal sealed class NetworkFault(FaultKind kind) : IFaultKind
{
    public static IReadOnlyList<IFaultKind> Kinds { get; } = [new NetworkFault(FaultKind.Partition),
        new NetworkFault(FaultKind.PacketLoss)];

    public FaultKind Kind => kind;

    public IReadOnlyList<FaultLeftover> Leftovers { get; } = [NftablesTables.Instance, CgroupLabels.Instance];

    public IReadOnlyDictionary<string, string> Parameters => kind == FaultKind.Partition
        ? new Dictionary<string, string> { ["from"] = "the members it is cut from, comma-separated (default everyone: clients, standbys, "
            + "the primary)" }
        : new Dictionary<string, string> { ["percent"] = "packets dropped, 1 to 100, each direction (default 30)",
            ["from"] = "only its traffic with these members, comma-separated (default everyone)" };

    public void Check(FaultRequest request)
    {
        Nftables.Program($"{kind} of {request.Member.Display}");
        _ = Percent(request);
        foreach (var member in request.Peers.Prepend(request.Member))
        {
            if (!IsThisMachine(member.Host))
            {
                throw DrToolsException.Refused($"{kind} of {request.Member.Display}: {member.Display} is not on this machine; "
                    + "network faults act on this machine's traffic only", DrErrorKind.InvalidArgument);
            }
            if (!OpenConnections.Listening(member.Port))
            {
                throw DrToolsException.RefusedAfter($"{kind} of {request.Member.Display}: nothing listens on port {member.Port} "
                    + $"({member.Display}) on this machine", DrErrorKind.InvalidArgument);
            }
        }
        if (request.Peers.Count > 0 && request.Member.DataDirectory is null && request.Peers.Any(p => p.DataDirectory is null))
        {
            throw new DrToolsException($"{kind} of {request.Member.Display} from chosen members: DrTools must know the processes of one "
                + $"side of each pair (a sandbox member, or a data directory).", DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>Whether a member's host is one of this machine's addresses (or a name that resolves to one).</summary>
    private static bool IsThisMachine(string host)
    {
        var local = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address).ToHashSet();
        try
        {
            return (System.Net.IPAddress.TryParse(host, out var address) ? [address] : System.Net.Dns.GetHostAddresses(host))
                .Any(a => System.Net.IPAddress.IsLoopback(a) || local.Contains(a));
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public string Describe(FaultRequest request)
    {
        var whom = request.Peers.Count == 0 ? "everyone (clients, standbys, the primary)" : string.Join(", ",
            request.Peers.Select(p => p.Display));
        return kind == FaultKind.Partition
            ? $"Partition of {request.Member.Display} from {whom}, both directions, open connections included"
            : $"PacketLoss of {Percent(request)}% of {request.Member.Display}'s packets with {whom}, each direction";
    }

    public async Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request,
        CancellationToken cancellationToken)
    {
        static string Side(FaultMember m) => $"{m.Port}|{m.DataDirectory}";
        var state = new Dictionary<string, string>
        {
            ["table"] = Nftables.TableOf(id),
            ["mark"] = (await FreeMarkAsync(cancellationToken)).ToString(CultureInfo.InvariantCulture),
            ["action"] = kind == FaultKind.Partition ? "drop" : $"numgen random mod 100 < {Percent(request)} drop",
            ["member"] = Side(request.Member),
            ["peers"] = string.Join(";", request.Peers.Select(Side)),
        };
        foreach (var m in request.Peers.Prepend(request.Member).Where(m => m.DataDirectory is not null))
        {
            var label = MemberCgroup.For(m.Port);
            state[$"cgroup:{label.Directory}"] = label.Origins(MemberCgroup.ProcessesOf(m)) + "|" + m.DataDirectory;
        }
        return state;
    }

    /// <summary>
    /// Labels the processes, then reads their open connections and writes the rules: the label catches connections
    /// opened from now on (a socket keeps the cgroup it was created in), the ports the ones already open.
    /// </summary>
    public async Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        foreach (var (directory, _, dataDirectory) in Labels(record))
        {
            MemberCgroup.Join(directory, Processes.ProcessTable.FindByWorkingDirectory(dataDirectory));
        }
        var member = Side.Parse(record.State["member"]);
        var peers = record.State["peers"].Split(';', StringSplitOptions.RemoveEmptyEntries).Select(Side.Parse).ToList();
        var (table, mark) = (record.State["table"], int.Parse(record.State["mark"], CultureInfo.InvariantCulture));
        var selectors = Selectors(member, peers);
        await Nftables.ApplyAsync(record.Description, Ruleset(table, mark, selectors, record.State["action"]), cancellationToken);
        // A connection whose socket was made before the label and connected after the first reading escaped both:
        // read again now that the label holds, and mark what appeared (inserted before the drop).
        var late = Selectors(member, peers).Except(selectors).ToList();
        if (late.Count > 0) await Nftables.ApplyAsync(record.Description, string.Join("\n",
            Chains.SelectMany(c => late.Select(l => $"insert rule inet {table} {c.Chain} {c.Only}{Rule(l, mark, record.State["action"])}")))
            + "\n", cancellationToken);
    }

    private static List<string> Selectors(Side member, IReadOnlyList<Side> peers)
    {
        var selectors = new List<string>();
        if (peers.Count == 0)
        {
            selectors.Add($"tcp dport {member.Port}");
            selectors.Add($"tcp sport {member.Port}");
            selectors.AddRange(member.Outgoing(null));
        }
        foreach (var peer in peers)
        {
            selectors.AddRange(member.Outgoing(peer.Port));
            selectors.AddRange(peer.Outgoing(member.Port));
        }
        return selectors;
    }

    /// <summary>One side of a network fault: its port and, when known, its processes.</summary>
    private sealed record Side(int Port, string? DataDirectory)
    {
        public static Side Parse(string text) => text.Split('|') is [var port, var data] ? new(int.Parse(port,
            CultureInfo.InvariantCulture), data.Length == 0 ? null : data) : throw new FormatException(text);

        /// <summary>Selectors of this side's own connections to <paramref name="toPort"/> (null: anywhere): those open now, both
        /// directions, and new ones by its label.</summary>
        public IEnumerable<string> Outgoing(int? toPort)
        {
            if (DataDirectory is null) yield break;
            foreach (var (local,
                remote) in OpenConnections.Of(Processes.ProcessTable.FindByWorkingDirectory(DataDirectory)).Where(c => c.Local != Port
                && (toPort is null || c.Remote == toPort)))
            {
                yield return $"tcp sport {local} tcp dport {remote}";
                yield return $"tcp sport {remote} tcp dport {local}";
            }
            yield return $"{MemberCgroup.For(Port).Selector} {(toPort is null ? "meta l4proto tcp" : $"tcp dport {toPort}")}";
        }
    }

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var deleted = await Nftables.DeleteTableAsync(record.State["table"], cancellationToken);
        // A label another active fault still uses stays until that fault ends.
        var stillUsed = FaultRegistry.List().Where(r => r.Id != record.Id).SelectMany(r => r.State.Keys).ToHashSet();
        foreach (var (directory, origins, _) in Labels(record).Where(l => !stillUsed.Contains($"cgroup:{l.Directory}")))
        {
            MemberCgroup.Leave(directory, origins);
        }
        return deleted ? $"nftables table inet {record.State["table"]} deleted"
            : $"nftables table inet {record.State["table"]} was already gone";
    }

    /// <summary>
    /// After the recorded faults are undone: DrTools' tables no record owns whose maker is gone (a run killed between
    /// applying and recording, or one that kept its records elsewhere).
    /// </summary>
    public static async Task<IReadOnlyList<FaultEnd>> RemoveStrayTablesAsync(IReadOnlyList<FaultRecord> undone,
        CancellationToken cancellationToken)
    {
        if (!Nftables.Usable) return [];
        var owned = FaultRegistry.List().Concat(undone).Select(r => r.State.GetValueOrDefault("table")).ToHashSet();
        var ended = new List<FaultEnd>();
        foreach (var table in (await Nftables.TablesAsync(cancellationToken)).Where(t => !owned.Contains(t) && Nftables.MakerGone(t)))
        {
            await Nftables.DeleteTableAsync(table, cancellationToken);
            var stray = new FaultRecord(table, FaultKind.Partition, "?", $"nftables table inet {table} without a record",
                DateTimeOffset.UtcNow, 0);
            ended.Add(new FaultEnd(stray, DateTimeOffset.UtcNow, true, $"nftables table inet {table} deleted"));
        }
        return ended;
    }

    private static readonly TimeSpan StrayAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After the tables: cgroup labels no recorded fault and no nftables rule uses (their maker was killed after its
    /// table went); their processes, if any, go back to the hierarchy's root, which is all a label changed of them.
    /// A label younger than <see cref="StrayAfter"/> may be another process's fault between its label and its rule.
    /// </summary>
    public static async Task<IReadOnlyList<FaultEnd>> RemoveStrayLabelsAsync(CancellationToken cancellationToken)
    {
        var labels = MemberCgroup.Labels();
        if (labels.Count == 0 || !Nftables.Usable) return [];
        var recorded = FaultRegistry.List().SelectMany(r => Labels(r)).Select(l => l.Directory).ToHashSet();
        var rules = await Nftables.RulesetAsync(cancellationToken);
        var ended = new List<FaultEnd>();
        var stray = labels.Where(l => !recorded.Contains(l) && !rules.Contains($"/{Path.GetFileName(l)}\"", StringComparison.Ordinal)
            && DateTime.UtcNow - Directory.GetLastWriteTimeUtc(l) > StrayAfter);
        foreach (var label in stray)
        {
            MemberCgroup.Leave(label, "");
            var record = new FaultRecord(Path.GetFileName(label), FaultKind.Partition, "?", $"cgroup label {label} without a record",
                DateTimeOffset.UtcNow, 0);
            ended.Add(new FaultEnd(record, DateTimeOffset.UtcNow, true, $"cgroup label {label} removed"));
        }
        return ended;
    }

    private static IEnumerable<(string Directory, string Origins, string DataDirectory)> Labels(FaultRecord record) =>
        record.State.Where(s => s.Key.StartsWith("cgroup:", StringComparison.Ordinal))
            .Select(s => (s.Key["cgroup:".Length..], s.Value[..s.Value.LastIndexOf('|')], s.Value[(s.Value.LastIndexOf('|') + 1)..]));

    /// <summary>Loopback packets pass output then input: acting on output alone counts each packet once; input sees the rest.</summary>
    private static readonly (string Chain, string Only)[] Chains = [("output", ""), ("input", "iifname != \"lo\" ")];

    private static string Bit(int mark) => $"0x{1 << mark:x8}";

    /// <summary>A label's selector marks the connection (conntrack has it from its SYN); a port selector acts on the packet
    /// itself.</summary>
    private static string Rule(string selector, int mark, string action) =>
        selector.Contains("socket cgroupv2", StringComparison.Ordinal) ? $"{selector} ct mark set ct mark | {Bit(mark)}"
            : $"{selector} {action}";

    private static string Ruleset(string table, int mark, IReadOnlyList<string> selectors, string action)
    {
        var bit = Bit(mark);
        var text = new StringBuilder($"table inet {table} {{\n");
        foreach (var (chain, only) in Chains)
        {
            text.Append($"  chain {chain} {{\n    type filter hook {chain} priority -5; policy accept;\n");
            foreach (var selector in selectors) text.Append($"    {only}{Rule(selector, mark, action)}\n");
            text.Append($"    {only}ct mark & {bit} == {bit} {action}\n  }}\n");
        }
        return text.Append("}\n").ToString();
    }

    /// <summary>
    /// A conntrack mark bit no network fault uses — recorded, or in a table on this machine (another user's, a test's
    /// own registry) — so one fault's drop never takes another's connections.
    /// </summary>
    private static async Task<int> FreeMarkAsync(CancellationToken cancellationToken)
    {
        var used = FaultRegistry.List().Select(r => r.State.GetValueOrDefault("mark")).OfType<string>().Select(int.Parse).ToHashSet();
        used.UnionWith((await Nftables.MarksInUseAsync(cancellationToken)).Select(bit => System.Numerics.BitOperations.Log2((ulong)bit)));
        return Enumerable.Range(8, 24).FirstOrDefault(b => !used.Contains(b), -1) is var free and >= 0
            ? free
            : throw new DrToolsException("24 network faults are active already; stop one first.", DrErrorKind.InvalidOperation);
    }

    private int Percent(FaultRequest request)
    {
        if (kind != FaultKind.PacketLoss) return 100;
        var text = request.Parameters.GetValueOrDefault("percent", "30").TrimEnd('%');
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent is >= 1 and <= 100
            ? percent
            : throw new DrToolsException($"PacketLoss percent '{request.Parameters["percent"]}': a whole number from 1 to 100.",
                DrErrorKind.InvalidArgument);
    }
}
