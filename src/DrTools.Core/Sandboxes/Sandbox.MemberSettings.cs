namespace DrTools.Core.Sandboxes;

// Each member's own settings in its postgresql.auto.conf: the ones DrTools writes, and the ones ALTER SYSTEM made.
public sealed partial class Sandbox
{
    /// <summary>The settings DrTools writes for a member; every other line of postgresql.auto.conf is ALTER SYSTEM's.</summary>
    private static readonly HashSet<string> MemberSettingNames =
        new(["port", "cluster_name", "primary_conninfo", "primary_slot_name", "restore_command"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Per-member settings go in postgresql.auto.conf, which pg_basebackup and pg_rewind copy from the source:
    /// so they are rewritten whenever a member is (re)built, and a member rejoining as a standby gets them anew. What
    /// ALTER SYSTEM set there (<paramref name="alteredSettings"/>, by default the file's own) is kept: a rejoin dropped
    /// the archive_command `backup archive` sets, and the member archived nothing once primary again.
    /// </summary>
    internal void WriteMemberSettings(SandboxMember member, SandboxMember? standbyOf, IReadOnlyList<string>? alteredSettings = null)
    {
        alteredSettings ??= AlteredSettings(member);
        var settings = $"""
            # Written by DrTools for sandbox {Id}.
            port = {member.Port}
            cluster_name = '{member.Name}'

            """;
        if (standbyOf is not null)
        {
            var conninfo = $"host=127.0.0.1 port={standbyOf.ClientPort} user={UserName} passfile=''{PassFile}'' "
                + $"application_name={member.Name}";
            settings += $"""
                primary_conninfo = '{conninfo}'
                primary_slot_name = '{member.Name}'

                """;
            WriteServerFile(Path.Combine(member.DataDirectory, "standby.signal"), "");
        }
        if (alteredSettings.Count > 0)
        {
            settings += "# Set by ALTER SYSTEM, kept by DrTools.\n" + string.Concat(alteredSettings.Select(line => line + "\n"));
        }
        WriteServerFile(Path.Combine(member.DataDirectory, "postgresql.auto.conf"), settings);
    }

    /// <summary>The lines of a member's postgresql.auto.conf that ALTER SYSTEM wrote (none when the file is missing).</summary>
    internal IReadOnlyList<string> AlteredSettings(SandboxMember member)
    {
        var file = Path.Combine(member.DataDirectory, "postgresql.auto.conf");
        if (!File.Exists(file)) return [];
        return File.ReadAllLines(file)
            .Where(line => line.TrimStart() is { Length: > 0 } text && !text.StartsWith('#') && text.Contains('=')
                && !MemberSettingNames.Contains(text[..text.IndexOf('=')].Trim()))
            .ToList();
    }

    /// <summary>
    /// Lets pg_rewind --restore-target-wal fetch from the archive the WAL an old primary has already recycled. Only for
    /// the rewind (WriteMemberSettings rewrites the file afterwards): with a restore_command, a PostgreSQL 15 standby
    /// whose primary vanished can sleep through a promote request for wal_retrieve_retry_interval (5 s), and the
    /// sandbox models a plain streaming cluster.
    /// </summary>
    internal void AllowRestoreFromArchive(SandboxMember member) =>
        AtomicFile.Append(Path.Combine(member.DataDirectory, "postgresql.auto.conf"),
            $"restore_command = 'cp \"{ArchiveDirectory}/%f\" \"%p\"'\n");
}
