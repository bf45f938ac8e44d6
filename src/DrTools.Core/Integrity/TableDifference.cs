namespace DrTools.Core.Integrity;

public sealed record TableDifference(string Table, long? ReferenceRows, long? Rows, string Reason);
