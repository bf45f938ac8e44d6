using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using DrTools.Core.Backups;

namespace DrTools.Core.Tests;

/// <summary>
/// Damage done to a MariaDB or Redis backup's files as a disk, a copy or someone with care would do it: bytes flipped
/// inside a value, a file cut short; then, for the "rewritten" rows, the backup's own checksums made to match again
/// (DrTools' files.sha256, an RDB's CRC64, an InnoDB page's CRC-32C), so only a check of the content can tell.
/// </summary>
public static class BackupCorruption
{
    /// <summary>A copy of a repository (catalog and backups, owners kept) for one row to damage.</summary>
    public static BackupRepository CopyRepository(string from, string to)
    {
        using var copy = System.Diagnostics.Process.Start("cp", ["-a", from, to])!;
        Assert.True(copy.WaitForExit(TimeSpan.FromSeconds(60)) && copy.ExitCode == 0, $"cp -a {from} {to} failed");
        return BackupRepository.Open(to, create: false);
    }

    /// <summary>A copy of a fixture's repository under <paramref name="work"/>, one backup of it and that backup's folder.</summary>
    public static (BackupRepository Repository, BackupRecord Backup, string Directory) CopyBackup(string from, TemporaryRoot work,
        string id)
    {
        var repository = CopyRepository(from, Path.Combine(work.Path, "repo"));
        var backup = repository.Backup(id);
        return (repository, backup, repository.BackupDirectory(backup.Id));
    }

    /// <summary>
    /// Flips the case bit of the first byte of <paramref name="value"/> where it follows <paramref name="after"/> in the
    /// file: where it is there once, or at each place with <paramref name="everywhere"/> (a binlog holds a statement's text
    /// beside its rows); returns the first place.
    /// </summary>
    public static long FlipValue(string path, string after, string value, bool everywhere = false)
    {
        var bytes = File.ReadAllBytes(path);
        var needle = Encoding.ASCII.GetBytes(after + value);
        var at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"{path} does not hold '{after + value}'");
        Assert.True(everywhere || bytes.AsSpan(at + 1).IndexOf(needle) < 0, $"{path} holds '{after + value}' more than once");
        for (var found = at; found >= 0; found = bytes.AsSpan(found + 1).IndexOf(needle) is var next and >= 0 ? found + 1 + next : -1)
        {
            bytes[found + after.Length] ^= 0x20;
            if (!everywhere) break;
        }
        File.WriteAllBytes(path, bytes);
        return at + after.Length;
    }

    /// <summary>XORs <paramref name="count"/> bytes from <paramref name="offset"/> with 0xFF.</summary>
    public static void FlipBytes(string path, long offset, int count)
    {
        using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        Assert.True(offset + count <= file.Length, $"{path} has {file.Length} bytes, fewer than {offset + count}");
        var buffer = new byte[count];
        file.Position = offset;
        file.ReadExactly(buffer);
        for (var i = 0; i < count; i++) buffer[i] ^= 0xFF;
        file.Position = offset;
        file.Write(buffer);
    }

    /// <summary>Cuts the file to half its length.</summary>
    public static void Truncate(string path)
    {
        using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        file.SetLength(file.Length / 2);
    }

    /// <summary>Makes the backup's files.sha256 agree with <paramref name="relative"/>'s content now, or its absence.</summary>
    public static void RewriteDigest(string backupDirectory, string relative)
    {
        var manifest = Path.Combine(backupDirectory, "files.sha256");
        var lines = File.ReadAllLines(manifest);
        var index = Array.FindIndex(lines, l => l.EndsWith("  " + relative, StringComparison.Ordinal));
        Assert.True(index >= 0, $"{manifest} does not list {relative}");
        if (!File.Exists(Path.Combine(backupDirectory, relative)))
        {
            File.WriteAllText(manifest, string.Join('\n', lines.Where((_, i) => i != index)) + "\n");
            return;
        }
        using (var stream = File.OpenRead(Path.Combine(backupDirectory, relative)))
        {
            lines[index] = $"{Convert.ToHexStringLower(SHA256.HashData(stream))}  {relative}";
        }
        File.WriteAllText(manifest, string.Join('\n', lines) + "\n");
    }

    /// <summary>Sets an RDB file's trailing CRC64 to match its content, after checking that it matched before.</summary>
    public static void RewriteRdbCrc(string path, long changedAt, byte original)
    {
        var bytes = File.ReadAllBytes(path);
        var body = bytes.AsSpan(0, bytes.Length - 8);
        var changed = body[(int)changedAt];
        body[(int)changedAt] = original;
        Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8)), Crc64Jones(body)); // the routine is Redis'
        body[(int)changedAt] = changed;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), Crc64Jones(body));
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Redis' CRC64 (Jones polynomial, reflected, no final XOR).</summary>
    private static ulong Crc64Jones(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x95AC9329AC4BC9B5UL : crc >> 1;
        }
        return crc;
    }

    /// <summary>
    /// Sets the full_crc32 checksum (CRC-32C of all but the page's last 4 bytes, stored there big-endian) of the 16 kB
    /// InnoDB page holding <paramref name="offset"/>, after checking that it matched before the change.
    /// </summary>
    public static void RewriteInnoDbPageChecksum(string path, long offset, byte original)
    {
        const int pageSize = 16384;
        var bytes = File.ReadAllBytes(path);
        var page = bytes.AsSpan((int)(offset / pageSize * pageSize), pageSize);
        var changed = bytes[offset];
        bytes[offset] = original;
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(page[^4..]), Crc32C(page[..^4])); // the page is full_crc32
        bytes[offset] = changed;
        BinaryPrimitives.WriteUInt32BigEndian(page[^4..], Crc32C(page[..^4]));
        File.WriteAllBytes(path, bytes);
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
