namespace DrTools.Core.MariaDb;

/// <summary>
/// A MariaDB GTID position ("0-1-42", or one GTID per replication domain, comma-separated) as DrTools compares it: the
/// sum of the sequence numbers over the domains. Within a cluster that writes through one primary at a time, each
/// transaction adds one, whichever server wrote it, so the sum orders members and counts the transactions between them.
/// </summary>
public static class Gtid
{
    public static Engines.ReplicaPosition Position(string? text) => new(SequenceSum(text), string.IsNullOrWhiteSpace(text) ? "(empty)" : text);

    public static long SequenceSum(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return 0;
        long sum = 0;
        foreach (var gtid in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = gtid.Split('-');
            if (parts.Length != 3 || !long.TryParse(parts[2], out var sequence))
            {
                throw new DrToolsException($"'{gtid}' is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-42).", DrErrorKind.InvalidArgument);
            }
            sum += sequence;
        }
        return sum;
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
