using System.Buffers.Binary;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

/// <summary>
/// The WAL page header checks recovery makes, where pg_waldump makes none or names no position: the first page's long
/// header (magic, info bits, timeline, address, system identifier, segment and block size) and the timeline of every
/// later page, which pg_waldump lets rise but recovery refuses when it falls or leaves the timeline history chain it
/// follows.
/// </summary>
internal static class WalPageHeaders
{
    public const int LongHeaderSize = 40;
    public const int ShortHeaderSize = 24;
    private const ushort AllInfoBits = 0x0007;
    private const ushort LongHeaderBit = 0x0002;

    /// <summary>The WAL page size a segment's first (long) header gives.</summary>
    public static int PageSize(byte[] first) => (int)BinaryPrimitives.ReadUInt32LittleEndian(first.AsSpan(36));

    public static byte[] ReadFirst(FileInfo file)
    {
        using var stream = file.OpenRead();
        var header = new byte[LongHeaderSize];
        stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return header;
    }

    /// <summary>What is wrong with a segment's first page header, next to the first segment read (same server, same version).</summary>
    public static string? FirstPageProblem(byte[] header, byte[] reference, int newest, Lsn start, long length)
    {
        if (length != WalArchive.SegmentSize) return $"the file has {length} bytes, a WAL segment {WalArchive.SegmentSize}";
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(header);
        var expectedMagic = BinaryPrimitives.ReadUInt16LittleEndian(reference);
        if (magic != expectedMagic) return $"page header magic {magic:X4}, not {expectedMagic:X4}";
        var info = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2));
        if ((info & ~AllInfoBits) != 0 || (info & LongHeaderBit) == 0) return $"its first page header has invalid info bits {info:X4}";
        var pageTimeline = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        if (pageTimeline > newest || pageTimeline == 0)
        {
            return $"its page header is of timeline {pageTimeline}, past the timeline history chain recovery follows (to {newest})";
        }
        var address = new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8)));
        if (address != start) return $"its first page is for {address}, not {start} (a segment from another position)";
        var system = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        var expected = BinaryPrimitives.ReadUInt64LittleEndian(reference.AsSpan(24));
        if (system != expected)
        {
            return $"it is from another database system (system identifier {system}, the backup's WAL has {expected})";
        }
        var segmentSize = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(32));
        if (segmentSize != WalArchive.SegmentSize)
        {
            return $"its header gives a segment size of {segmentSize} bytes, not {WalArchive.SegmentSize}";
        }
        var blockSize = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(36));
        var expectedBlock = BinaryPrimitives.ReadUInt32LittleEndian(reference.AsSpan(36));
        return blockSize == expectedBlock ? null : $"its header gives a page size of {blockSize} bytes, not {expectedBlock}";
    }

    /// <summary>
    /// The first later page of a segment whose header recovery refuses, and where it begins. Only pages that are this
    /// segment's (the magic and the address of their place) are judged: the rest is space never written since the file
    /// was made or recycled, which replay reaches only if a record leads there, and pg_waldump names that.
    /// </summary>
    public static (Lsn At, string Problem)? LaterPageProblem(FileInfo file, byte[] first, byte[] reference, int newest, Lsn start)
    {
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(reference);
        var pageSize = PageSize(reference);
        var previous = BinaryPrimitives.ReadUInt32LittleEndian(first.AsSpan(4));
        using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var header = new byte[ShortHeaderSize];
        for (long offset = pageSize; offset + pageSize <= WalArchive.SegmentSize; offset += pageSize)
        {
            stream.Position = offset;
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) return null;
            var at = new Lsn(start.Value + (ulong)offset);
            if (BinaryPrimitives.ReadUInt16LittleEndian(header) != magic
                || BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8)) != at.Value)
            {
                return null;
            }
            var info = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2));
            if ((info & ~AllInfoBits) != 0) return (at, $"the page header at {at} has invalid info bits {info:X4}");
            var pageTimeline = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
            if (pageTimeline > newest || pageTimeline < previous)
            {
                // Recovery checks the timeline of the last page it read: with read-ahead (recovery_prefetch, on by
                // default) it stops as soon as it reads ahead to this page, anywhere up to wal_decode_buffer_size before.
                return (at,
                    $"the page header at {at} is of timeline {pageTimeline} (after {previous}; the timeline history chain recovery "
                    + $"follows ends at {newest}); a "
                    + "restore with recovery_prefetch on (PostgreSQL's default; DrTools' restores turn it off) stops earlier, where its "
                    + "read-ahead reaches this page");
            }
            previous = pageTimeline;
        }
        return null;
    }
}
