using System.Security.Cryptography;
using System.Text.Json;
using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using Npgsql;

namespace DrTools.Core.Backups;

public enum BackupCompression { Gzip, None }
