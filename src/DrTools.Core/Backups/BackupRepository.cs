using System.Text.Json;
using System.Text.Json.Serialization;
using DrTools.Core.Integrity;
using DrTools.Core.Processes;

namespace DrTools.Core.Backups;

/// <summary>
/// A backup repository folder: catalog.json, backups/&lt;id&gt;/ (base.tar[.gz], pg_wal.tar, backup_manifest) and wal/
/// (the WAL archive, one file per segment, as archive_command copies them). Owned by the PostgreSQL server account,
/// which writes the archive.
/// </summary>
public sealed class BackupRepository
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private sealed record Catalog(List<BackupRecord> Backups, List<RestorePointRecord> RestorePoints);

    private BackupRepository(string root) => Root = root;

    public string Root { get; }
    public string WalDirectory => Path.Combine(Root, "wal");
    public string BackupDirectory(string id) => Path.Combine(Root, "backups", id);
    private string CatalogFile => Path.Combine(Root, "catalog.json");
    private string CatalogLock => Path.Combine(Root, "catalog.lock");

    /// <summary>Opens a repository, creating it (empty) when <paramref name="create"/> and the folder has none.</summary>
    public static BackupRepository Open(string path, bool create)
    {
        var repository = new BackupRepository(Path.GetFullPath(path));
        if (File.Exists(repository.CatalogFile)) return repository;
        if (!create) throw new DrToolsException($"repository {repository.Root} has no catalog.json: not a DrTools backup repository "
            + $"(New-DbBackup / drtools backup create makes one).", DrErrorKind.InvalidArgument);
        try
        {
            foreach (var directory in new[] { repository.Root, Path.Combine(repository.Root, "backups"), repository.WalDirectory })
            {
                Directory.CreateDirectory(directory);
                ServerAccount.Current.Own(directory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.Failure("make the repository", repository.Root, e);
        }
        // Under the lock: a process making the same repository at once must not replace a catalog with entries by an empty one.
        using (FileLock.Acquire(repository.CatalogLock))
        {
            if (!File.Exists(repository.CatalogFile)) repository.Save(new Catalog([], []));
        }
        return repository;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the repository at <paramref name="path"/>, made when it does not exist. When the
    /// work fails, a repository this call made is removed again if nothing was put in it: a first backup that fails (a
    /// target that does not answer, a full disk) leaves no empty repository behind.
    /// </summary>
    public static async Task<T> OpenForAsync<T>(string path, Func<BackupRepository, Task<T>> work)
    {
        var root = Path.GetFullPath(path);
        // The outermost folder this call makes (a nested path's missing parents too): what a failure removes.
        var made = root;
        for (var parent = Path.GetDirectoryName(made); parent is not null && !Directory.Exists(parent);
             parent = Path.GetDirectoryName(parent))
        {
            made = parent;
        }
        if (Directory.Exists(root)) return await work(Open(root, create: true));
        try
        {
            return await work(Open(root, create: true));
        }
        catch
        {
            new BackupRepository(root).RemoveIfEmpty(made);
            throw;
        }
    }

    /// <summary>Removes <paramref name="made"/> if it holds nothing but this empty repository (catalog, lock, folders).</summary>
    private void RemoveIfEmpty(string made)
    {
        string[] own = ["catalog.json", "catalog.json.tmp", "catalog.lock", "backups", "wal"];
        try
        {
            using (FileLock.Acquire(CatalogLock))
            {
                // A catalog the full disk left empty or half-written holds no entry either.
                var catalog = File.Exists(CatalogFile) && new FileInfo(CatalogFile).Length > 0 ? Load() : new Catalog([], []);
                if (catalog.Backups.Count > 0 || catalog.RestorePoints.Count > 0
                    || Directory.EnumerateFileSystemEntries(Root).Any(e => !own.Contains(Path.GetFileName(e)))
                    || new[] { WalDirectory, Path.Combine(Root, "backups") }.Any(d => Directory.Exists(d)
                        && Directory.EnumerateFileSystemEntries(d).Any()))
                {
                    return;
                }
                Directory.Delete(Root, recursive: true);
            }
            for (var parent = Path.GetDirectoryName(Root); parent is not null && made != Root && parent.Length >= made.Length;
                 parent = Path.GetDirectoryName(parent))
            {
                if (Directory.EnumerateFileSystemEntries(parent).Any()) return;
                Directory.Delete(parent);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DrToolsException)
        {
            // Left as it is: the work's own failure is what the caller reports.
        }
    }

    public IReadOnlyList<BackupRecord> Backups =>
        Load().Backups.OrderBy(b => b.FinishedAt).Select(b => b with { Repository = Root }).ToList();
    public IReadOnlyList<RestorePointRecord> RestorePoints => Load().RestorePoints.OrderBy(r => r.CreatedAt).ToList();

    /// <summary>
    /// Folders under backups/ the catalog has no entry for: a backup still being taken, or one a crash or kill left
    /// (a failed backup removes its own). Never counted as a backup.
    /// </summary>
    public IReadOnlyList<string> Uncatalogued
    {
        get
        {
            var folder = Path.Combine(Root, "backups");
            if (!Directory.Exists(folder)) return [];
            var known = Load().Backups.Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
            return Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)).Where(id => !known.Contains(id))
                .Order(StringComparer.Ordinal).ToList();
        }
    }

    public BackupRecord Backup(string? id)
    {
        var backups = Backups;
        if (backups.Count == 0) throw new DrToolsException($"repository {Root} holds no backup.", DrErrorKind.InvalidOperation);
        return id is null ? backups[^1] : backups.FirstOrDefault(b => b.Id == id)
            ?? throw new DrToolsException($"repository {Root} has no backup '{id}' (it has "
                + $"{string.Join(", ", backups.Select(b => b.Id))}).", DrErrorKind.InvalidArgument);
    }

    /// <summary>The archive_command that copies WAL into this repository, refusing to overwrite a different file.</summary>
    public string ArchiveCommand => WalArchive.ArchiveCommand(WalDirectory);

    public string RestoreCommand => WalArchive.RestoreCommand(WalDirectory);

    internal void Add(BackupRecord backup) => Update(catalog => catalog.Backups.Add(backup));

    internal void Add(RestorePointRecord point) => Update(catalog => catalog.RestorePoints.Add(point));

    internal void Remove(string backupId) => Update(catalog => catalog.Backups.RemoveAll(b => b.Id == backupId));

    /// <summary>What a folder of <see cref="Uncatalogued"/> is, in one line.</summary>
    public static string UncataloguedNote(string directory) =>
        $"{directory} has no catalog entry: a backup still being taken, or one whose process was killed " +
        "(not a backup; remove it when no backup runs)";

    /// <summary>A read-modify-write under the catalog's lock: concurrent backups into one repository each keep their entry.</summary>
    private void Update(Action<Catalog> change)
    {
        using var held = FileLock.Acquire(CatalogLock);
        var catalog = Load();
        change(catalog);
        Save(catalog);
    }

    private Catalog Load()
    {
        try
        {
            return JsonSerializer.Deserialize<Catalog>(File.ReadAllText(CatalogFile), Json) ?? new Catalog([], []);
        }
        catch (JsonException e)
        {
            throw new DrToolsException($"{CatalogFile}: the catalog is damaged (line {e.LineNumber + 1}): {e.Message.Split('.')[0]}.",
                DrErrorKind.InvalidOperation);
        }
    }

    private void Save(Catalog catalog) => AtomicFile.Write(CatalogFile, JsonSerializer.Serialize(catalog, Json));
}
