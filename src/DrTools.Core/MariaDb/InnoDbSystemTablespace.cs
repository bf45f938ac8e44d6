using System.Buffers.Binary;

namespace DrTools.Core.MariaDb;

/// <summary>
/// Where a page check of InnoDB's system tablespace (ibdata1) reads: every page but its doublewrite buffer's. Those two
/// extents hold copies of other files' pages on their way to disk; in a copy taken while the server flushes, one can be
/// torn or half-written, which innochecksum calls an invalid page of a sound backup. The server reads one only to
/// replace a torn page of the file it came from, whose own check fails first, so damage there changes nothing restored
/// that another check would not name (mariadb-backup, too, leaves them out of its page checks).
/// </summary>
internal static class InnoDbSystemTablespace
{
    public const string FileName = "ibdata1";

    /// <summary>Byte offsets in page 0 and in the transaction system page (5) (fsp0fsp.h, trx0sys.h).</summary>
    private const int SpaceFlags = 38 + 16, TransactionSystemPage = 5, DoublewriteFromEnd = 200, DoublewriteMagic = 536853855;

    /// <summary>
    /// The inclusive page ranges of <paramref name="path"/> outside the doublewrite buffer that page 5 places; null for
    /// the whole file when the file does not read as a system tablespace with one (damage the whole-file check names).
    /// </summary>
    public static IReadOnlyList<(long First, long Last)>? PagesOutsideDoublewrite(string path)
    {
        using var file = File.OpenRead(path);
        var start = new byte[SpaceFlags + 4];
        if (file.Length < start.Length) return null;
        file.ReadExactly(start);
        if (PageSize(BinaryPrimitives.ReadUInt32BigEndian(start.AsSpan(SpaceFlags))) is not { } pageSize) return null;
        var pages = file.Length / pageSize;
        if (pages <= TransactionSystemPage) return null;
        // The doublewrite header: its magic, then the first page of each of its two blocks of one extent each.
        var header = new byte[12];
        file.Position = TransactionSystemPage * pageSize + pageSize - DoublewriteFromEnd + 10;
        file.ReadExactly(header);
        var first = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
        var second = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        var extent = pageSize <= 16384 ? (1 << 20) / pageSize : 64;
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != DoublewriteMagic || first <= TransactionSystemPage
            || second < first + extent || second + extent > pages)
        {
            return null;
        }
        return new (long First, long Last)[] { (0, first - 1), (first + extent, second - 1), (second + extent, pages - 1) }
            .Where(r => r.First <= r.Last).ToList();
    }

    /// <summary>The page size the tablespace flags give (full_crc32 format or the older one), or null if they give none.</summary>
    private static int? PageSize(uint flags)
    {
        const uint fullCrc32 = 1 << 4;
        var shift = (flags & fullCrc32) != 0 ? flags & 0xF : (flags >> 6) & 0xF;
        // The older format writes 0 for the default 16 kB; a size is 512 << shift, from 4 kB to 64 kB.
        if ((flags & fullCrc32) == 0 && shift == 0) shift = 5;
        return shift is >= 3 and <= 7 ? 512 << (int)shift : null;
    }
}
