namespace DrTools.Core.Backups;

public enum BackupCompression { Gzip, None }
