using System.Security.Cryptography;
using System.Text.Json;
using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using Npgsql;

namespace DrTools.Core.Backups;

/// <summary>What archiving was set to: the members now copy each finished WAL segment into the repository.</summary>
public sealed record WalArchiveSettings(string Target, string WalDirectory, string ArchiveCommand);
