namespace DrTools.Core;

/// <summary>
/// An error a user can act on: its message is one line that names the input or member at fault,
/// and it never carries a password. Front ends print the message, never the stack trace.
/// </summary>
public class DrToolsException : Exception
{
    public DrToolsException(string message, DrErrorKind kind = DrErrorKind.InvalidOperation, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public DrErrorKind Kind { get; }

    private const string NothingChanged = "Nothing was changed.";

    /// <summary>
    /// A refusal before anything changed: "<paramref name="why"/>. Nothing was changed." — the sentence that tells a
    /// user the cluster is as it was and the command can be given again once the reason is dealt with.
    /// </summary>
    public static DrToolsException Refused(string why, DrErrorKind kind = DrErrorKind.InvalidOperation, Exception? inner = null) =>
        new($"{why}. {NothingChanged}", kind, inner);

    /// <summary>A refusal whose reason reads on into it: "<paramref name="why"/>; nothing was changed."</summary>
    public static DrToolsException RefusedAfter(string why, DrErrorKind kind = DrErrorKind.InvalidOperation) =>
        new($"{why}; {char.ToLowerInvariant(NothingChanged[0])}{NothingChanged[1..]}", kind);
}
