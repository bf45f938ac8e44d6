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
}
