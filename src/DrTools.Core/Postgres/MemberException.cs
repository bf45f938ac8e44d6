namespace DrTools.Core.Postgres;

/// <summary>A member could not be reached or failed: <see cref="Reason"/> says why, without naming the member again.</summary>
public sealed class MemberException(DbMember member, string reason, DrErrorKind kind, Exception? inner)
    : DrToolsException($"{member.Display}: {reason}", kind, inner)
{
    public DbMember Member { get; } = member;
    public string Reason { get; } = reason;
}
