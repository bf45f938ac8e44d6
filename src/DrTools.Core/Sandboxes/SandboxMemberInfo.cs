namespace DrTools.Core.Sandboxes;

public sealed record SandboxMemberInfo(string Name, int Port, bool Running);
