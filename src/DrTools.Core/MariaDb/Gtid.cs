namespace DrTools.Core.MariaDb;

/// <summary>
/// A MariaDB GTID position ("0-1-42", or one GTID per replication domain, comma-separated) as DrTools compares it: the
/// sum of the sequence numbers over the domains. Within a cluster that writes through one primary at a time, each
/// transaction adds one, whichever server wrote it, so the sum orders members and counts the transactions between them.
/// Whether one position holds another is decided per domain: sums hide a member ahead in one domain and behind in another.
/// </summary>
public static class Gtid
{
    public static Engines.ReplicaPosition Position(string? text) => new(SequenceSum(text), string.IsNullOrWhiteSpace(text) ? "(empty)" : text);

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
                throw new DrToolsException($"'{gtid}' is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-42).", DrErrorKind.InvalidArgument);
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
