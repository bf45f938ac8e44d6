using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DrTools.Core;
using DrTools.Core.Engines;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>Options several commands share, so that each is spelled and parsed the same way everywhere.</summary>
public static class CommonOptions
{
    /// <summary>--fault-arg NAME=VALUE, the parameters of a fault from the fault library.</summary>
    public static Option<string[]> FaultArguments() => new("--fault-arg")
    {
        Description = "A parameter of the fault as NAME=VALUE: from=node0 (partition), percent=30 (packet loss), processes=all (kill), "
            + "delay=30s or pause=true (replication delay), start=... and undo=... (command), leave=4MB (disk full), delay=100ms / "
            + "jitter=50ms / rate=64kB / direction=toMember (fault proxy); repeatable.",
    };

    public static Option<bool> Json() => new("--json") { Description = "Write the result as JSON instead of text." };

    public static Option<string?> SandboxRoot() =>
        new("--root") { Description = "Folder sandboxes are kept in (default: DRTOOLS_SANDBOX_ROOT or <temp>/drtools-sandboxes)." };

    /// <summary>A duration option: 0 (or, <paramref name="positive"/>, more than 0) to <paramref name="max"/> (default the longest wait),
    /// refused at parse time otherwise.</summary>
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan? defaultValue = null, TimeSpan? max = null,
        bool positive = false)
    {
        var option = new Option<TimeSpan?>(name) { Description = description, CustomParser = result => ParseDuration(result, name, max,
            positive) };
        if (defaultValue is { } value) option.DefaultValueFactory = _ => value;
        return option;
    }

    private static TimeSpan? ParseDuration(ArgumentResult result, string name, TimeSpan? max, bool positive)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        try
        {
            return DurationText.Parse(text, name, max, positive);
        }
        catch (DrToolsException e)
        {
            result.AddError(e.Message);
            return null;
        }
    }

    /// <summary>Refuses, at parse time and naming the option, a number outside [<paramref name="min"/>, <paramref name="max"/>] (and
    /// NaN).</summary>
    public static TOption InRange<TOption>(this TOption option, double min, double max) where TOption : Option
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || result.Implicit) return;
            double value;
            try
            {
                value = Convert.ToDouble(result.GetValueOrDefault<object>(), CultureInfo.InvariantCulture);
            }
            catch (InvalidOperationException)
            {
                return; // not a number of the option's type at all: the parser already says so, naming the option
            }
            if (!(value >= min && value <= max))
            {
                result.AddError($"{option.Name}: {result.Tokens[0].Value} is out of range; give "
                    + $"{min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }
}
