namespace DrTools.Core;

public enum DrErrorKind
{
    InvalidArgument,
    ConnectionFailed,
    Timeout,
    NotAllowed,
    InvalidOperation,
    ExternalCommandFailed,
}
