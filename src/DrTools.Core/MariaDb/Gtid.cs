namespace DrTools.Core.MariaDb;

/// <summary>
/// A MariaDB GTID position ("0-1-42", or one GTID per replication domain, comma-separated) as DrTools compares it: the
/// sum of the sequence numbers over the domains. Within a cluster that writes through one primary at a time, each
/// transaction adds one, whichever server wrote it, so the sum orders members and counts the transactions between them.
/// Whether one position holds another is decided per domain: sums hide a member ahead in one domain and behind in another.
/// </summary>
public static class Gtid
{
    public static Engines.ReplicaPosition Position(string? text) => new(SequenceSum(text), string.IsNullOrWhiteSpace(text) ? "(empty)"
        : text);

    public static long SequenceSum(string? text) => Domains(text).Values.Sum();

    /// <summary>The sequence number of each replication domain in the position.</summary>
    public static IReadOnlyDictionary<string, long> Domains(string? text)
    {
        var domains = new Dictionary<string, long>();
        if (string.IsNullOrWhiteSpace(text)) return domains;
        foreach (var gtid in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = gtid.Split('-');
            if (parts.Length != 3 || !uint.TryParse(parts[0], out _) || !long.TryParse(parts[2], out var sequence))
            {
                throw new DrToolsException($"'{gtid}' is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-42).",
                    DrErrorKind.InvalidArgument);
            }
            domains[parts[0]] = sequence;
        }
        return domains;
    }

    /// <summary>
    /// Whether <paramref name="primary"/> holds everything <paramref name="replica"/> applied: in no domain is the replica
    /// beyond it, and it has every domain the replica has.
    /// </summary>
    public static bool Holds(string? primary, string? replica)
    {
        var held = Domains(primary);
        return Domains(replica).All(d => held.TryGetValue(d.Key, out var sequence) && sequence >= d.Value);
    }

    /// <summary>
    /// Whether a binlog whose state (@@gtid_binlog_state: the last GTID of each domain and server) is
    /// <paramref name="binlogState"/> holds the very GTIDs <paramref name="position"/> ends at: a replica that wrote one of
    /// its own at a sequence number the primary also reached (0-2-6 beside the primary's 0-1-6) forked though no domain is
    /// ahead.
    /// </summary>
    public static bool Wrote(string? binlogState, string? position)
    {
        if (string.IsNullOrWhiteSpace(binlogState)) return true; // a server that keeps no state: the domains decide alone
        var written = Parse(binlogState).ToLookup(g => (g.Domain, g.Server), g => g.Sequence);
        return Parse(position).All(g => written[(g.Domain, g.Server)].Any(sequence => sequence >= g.Sequence));
    }

    private static IEnumerable<(string Domain, string Server, long Sequence)> Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? []
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(gtid => gtid.Split('-'))
                .Where(parts => parts.Length == 3 && long.TryParse(parts[2], out _))
                .Select(parts => (parts[0], parts[1], long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The transactions <paramref name="replica"/> lacks of <paramref name="primary"/>, counted per domain.</summary>
    public static long Behind(string? primary, string? replica)
    {
        var applied = Domains(replica);
        return Domains(primary).Sum(d => Math.Max(0, d.Value - applied.GetValueOrDefault(d.Key)));
    }

    /// <summary>Whether <paramref name="text"/> is a GTID position a user may give (a PITR target).</summary>
    public static bool IsValid(string text)
    {
        try
        {
            return SequenceSum(text) > 0;
        }
        catch (DrToolsException)
        {
            return false;
        }
    }
}
