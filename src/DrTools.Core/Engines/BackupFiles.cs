using System.Security.Cryptography;

namespace DrTools.Core.Engines;

/// <summary>
/// The SHA-256 of every file of a MariaDB or Redis backup, in sha256sum's format (files.sha256, so `sha256sum -c` reads
/// it too), as PostgreSQL's backup_manifest is for a base backup: a file damaged, cut short, missing or added since the
/// backup is named before anything is restored. The content checks after it catch damage whose digest was rewritten.
/// </summary>
internal static class BackupFiles
{
    public const string FileName = "files.sha256";

    /// <summary>Records every file under <paramref name="directory"/> (the backup's folder), written whole.</summary>
    public static void Write(string directory)
    {
        var lines = Files(directory).Select(path => $"{Digest(Path.Combine(directory, path))}  {path}\n");
        AtomicFile.Write(Path.Combine(directory, FileName), string.Concat(lines));
    }

    /// <summary>
    /// What differs from the record, in one line naming the files (at most three); null when all match or there is no
    /// record (a backup taken before DrTools kept one).
    /// </summary>
    public static string? Check(string directory)
    {
        var manifest = Path.Combine(directory, FileName);
        if (!File.Exists(manifest)) return null;
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(manifest).Where(l => l.Length > 0))
        {
            var split = line.IndexOf("  ", StringComparison.Ordinal);
            if (split != 64) return $"{manifest} is damaged: '{PrintableText.Escape(line)}' is not '<sha256>  <file>'";
            recorded[line[(split + 2)..]] = line[..split];
        }
        var present = Files(directory).ToHashSet(StringComparer.Ordinal);
        var problems = recorded.Select(r => !present.Contains(r.Key) ? $"{r.Key} is missing"
                : Digest(Path.Combine(directory, r.Key)) != r.Value
                    ? $"{r.Key} differs from its SHA-256 in {FileName} ({new FileInfo(Path.Combine(directory, r.Key)).Length} bytes now)"
                    : null)
            .Concat(present.Where(p => !recorded.ContainsKey(p)).Select(p => $"{p} is not in {FileName}"))
            .OfType<string>().ToList();
        if (problems.Count == 0) return null;
        return string.Join("; ", problems.Take(3)) + (problems.Count > 3 ? $"; and {problems.Count - 3} more" : "");
    }

    /// <summary>Every file of the backup but the record itself, relative to its folder, in ordinal order.</summary>
    private static IEnumerable<string> Files(string directory) => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(directory, f)).Where(f => f != FileName).Order(StringComparer.Ordinal);

    private static string Digest(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
