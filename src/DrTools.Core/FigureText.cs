using System.Globalization;

namespace DrTools.Core;

/// <summary>
/// The one way every surface (format views, ToString, Should -MeetObjective, the CLI, the reports) writes a figure:
/// seconds to the millisecond, bytes in kB/MB/GB (1024-based, as PostgreSQL writes sizes), every other unit as is,
/// and a target in the same unit as the figure it holds.
/// </summary>
public static class FigureText
{
    /// <summary>A figure with its unit: 0.613 s, 0 bytes, 1 MB, 1.18 MB, 3 writes.</summary>
    public static string Of(double value, string unit) => unit switch
    {
        "s" => $"{Number(Math.Round(value, 3))} s",
        "bytes" => Bytes(value),
        _ => $"{Number(value)} {unit}",
    };

    /// <summary>As <see cref="Of"/>, with the exact count where a size in kB/MB/GB rounds it: 1.18 MB (1234567 bytes).</summary>
    public static string Exact(double value, string unit) =>
        unit == "bytes" && Math.Abs(value) >= 1024 && Of(value, unit) is var shown && !IsWhole(value, shown)
            ? $"{shown} ({Number(value)} bytes)"
            : Of(value, unit);

    /// <summary>A target: ≤ 30 s, ≤ 1 MB; a floor: ≥ 2 replicas.</summary>
    public static string Target(double target, string unit, bool atLeast = false) => $"{Bound(atLeast)} {Of(target, unit)}";

    /// <summary>How a target bounds its figure: ≥ for a floor, ≤ for a ceiling.</summary>
    public static string Bound(bool atLeast) => atLeast ? "≥" : "≤";

    /// <summary>A number as reports write it: whole numbers bare, others to three decimals.</summary>
    public static string Number(double value) => value.ToString(value == Math.Floor(value) ? "0" : "0.###", CultureInfo.InvariantCulture);

    private static readonly (double Size, string Name)[] Units = [(1L << 30, "GB"), (1L << 20, "MB"), (1L << 10, "kB")];

    private static string Bytes(double value)
    {
        foreach (var (size, name) in Units)
        {
            if (Math.Abs(value) >= size) return $"{(value / size).ToString("0.##", CultureInfo.InvariantCulture)} {name}";
        }
        return $"{Number(value)} bytes";
    }

    // Whether the size shown is the count itself (1 MB for 1048576), so that the exact count adds nothing.
    private static bool IsWhole(double value, string shown) =>
        Units.FirstOrDefault(u => shown.EndsWith(" " + u.Name, StringComparison.Ordinal)) is { Name: not null } unit
        && value % unit.Size == 0;
}
