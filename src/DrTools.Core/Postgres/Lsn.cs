using System.Globalization;

namespace DrTools.Core.Postgres;

/// <summary>A WAL position (pg_lsn), e.g. 0/3000148.</summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    public static Lsn Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0) throw new FormatException($"'{text}' is not an LSN");
        var high = ulong.Parse(text.AsSpan(0, slash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var low = ulong.Parse(text.AsSpan(slash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new Lsn((high << 32) | low);
    }

    /// <summary>Parses a position the user gave, naming the argument when it is not one.</summary>
    public static Lsn ParseArgument(string text, string argument)
    {
        try
        {
            return Parse(text);
        }
        catch (FormatException)
        {
            throw new DrToolsException($"{argument}: '{text}' is not a WAL position (write e.g. 0/3000148).", DrErrorKind.InvalidArgument);
        }
    }

    public static Lsn? ParseOrNull(string? text) => text is null ? null : Parse(text);

    public static bool TryParse(string text, out Lsn lsn)
    {
        try
        {
            lsn = Parse(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            lsn = default;
            return false;
        }
    }

    /// <summary>Bytes of WAL from <paramref name="earlier"/> to this position; 0 when it is not earlier.</summary>
    public long BytesAfter(Lsn earlier) => Value > earlier.Value ? (long)(Value - earlier.Value) : 0;

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);
    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;

    public override string ToString() => $"{Value >> 32:X}/{Value & 0xFFFFFFFF:X}";
}
