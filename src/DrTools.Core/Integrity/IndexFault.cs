namespace DrTools.Core.Integrity;

/// <summary>An index whose entries do not match its table's rows, with the server's words for it.</summary>
public sealed record IndexFault(string Table, string Index, string Reason);
