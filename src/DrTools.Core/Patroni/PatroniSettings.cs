using System.Globalization;

namespace DrTools.Core.Patroni;

/// <summary>
/// The Patroni cluster-wide (DCS) settings a sandbox starts with: Patroni's own defaults (ttl 30, loop_wait 10,
/// retry_timeout 10), which are what a team starts from, unless the caller overrides some (ttl=10,loop_wait=2).
/// </summary>
public sealed record PatroniSettings
{
    /// <summary>The settings that may be given, with what each value must be.</summary>
    private static readonly Dictionary<string, (bool Boolean, int Minimum, int Maximum)> Known = new(StringComparer.Ordinal)
    {
        ["ttl"] = (false, 2, 3600),
        ["loop_wait"] = (false, 1, 3600),
        ["retry_timeout"] = (false, 1, 3600),
        ["maximum_lag_on_failover"] = (false, 0, int.MaxValue),
        ["primary_start_timeout"] = (false, 0, 3600),
        ["synchronous_mode"] = (true, 0, 0),
        ["failsafe_mode"] = (true, 0, 0),
    };

    public static readonly PatroniSettings Defaults = new();

    public IReadOnlyDictionary<string, string> Values { get; private init; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["ttl"] = "30",
        ["loop_wait"] = "10",
        ["retry_timeout"] = "10",
        ["maximum_lag_on_failover"] = "1048576",
    };

    public int Ttl => int.Parse(Values["ttl"], CultureInfo.InvariantCulture);
    public int LoopWait => int.Parse(Values["loop_wait"], CultureInfo.InvariantCulture);

    /// <summary>These settings with <paramref name="overrides"/> (NAME=VALUE, or several comma-separated) applied; an unknown name or a bad
    /// value is refused, naming it.</summary>
    public PatroniSettings With(IEnumerable<string> overrides)
    {
        var values = new SortedDictionary<string, string>(Values.ToDictionary(), StringComparer.Ordinal);
        foreach (var pair in overrides.SelectMany(o => o.Split(',',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new DrToolsException($"Patroni setting '{pair}': write it as NAME=VALUE, e.g. ttl=10.",
                DrErrorKind.InvalidArgument);
            var (name, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
            if (!Known.TryGetValue(name, out var kind))
            {
                throw new DrToolsException($"Patroni setting '{pair}': '{name}' is not a setting a sandbox takes "
                    + $"({string.Join(", ", Known.Keys)}).", DrErrorKind.InvalidArgument);
            }
            if (kind.Boolean)
            {
                if (!bool.TryParse(value, out var flag)) throw new DrToolsException($"Patroni setting '{pair}': {name} is true or false.",
                    DrErrorKind.InvalidArgument);
                values[name] = flag ? "true" : "false";
            }
            else
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < kind.Minimum
                    || number > kind.Maximum)
                {
                    throw new DrToolsException($"Patroni setting '{pair}': {name} is a whole number from {kind.Minimum} to {kind.Maximum}.",
                        DrErrorKind.InvalidArgument);
                }
                values[name] = number.ToString(CultureInfo.InvariantCulture);
            }
        }
        var result = new PatroniSettings { Values = values };
        // Patroni's own rule: a leader must renew its key (every loop_wait) well within the key's ttl.
        if (result.LoopWait >= result.Ttl) throw new DrToolsException($"Patroni settings: loop_wait ({result.LoopWait}) must be less than "
            + $"ttl ({result.Ttl}).", DrErrorKind.InvalidArgument);
        return result;
    }

    public override string ToString() => string.Join(", ", Values.Select(v => $"{v.Key}={v.Value}"));
}
