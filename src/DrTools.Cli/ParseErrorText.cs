using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;

namespace DrTools.Cli;

/// <summary>
/// The parser's errors as a newcomer should read them: one line per mistake, naming the word typed and the command it was
/// typed for, with the nearest option, command or value suggested — never a .NET type name, never the cascade of errors one
/// typo causes (the value after a mistyped option read as a stray argument, "Required command was not provided").
/// </summary>
public static class ParseErrorText
{
    public static IReadOnlyList<string> Lines(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens is [var first, ..]) return [Unmatched(parse.RootCommandResult.Command, parse.CommandResult, first)];
        return parse.Errors.Select(error => Describe(error, command)).Distinct().ToList();
    }

    private static string Describe(ParseError error, Command command)
    {
        var option = error.SymbolResult as OptionResult ?? (error.SymbolResult as ArgumentResult)?.Parent as OptionResult;
        var typed = option?.Tokens.Select(t => t.Value).FirstOrDefault();
        if (option is not null && typed is not null && Choices(option.Option) is { Count: > 0 } choices
            && !choices.Contains(typed, StringComparer.OrdinalIgnoreCase))
        {
            return $"{option.Option.Name}: '{typed}' is not one of {Join(choices, "or")}{DidYouMean(typed, choices)}";
        }
        if (error.SymbolResult is CommandResult && command.Subcommands.Count > 0)
        {
            return $"'{Path(command)}' needs a command: {Join(SubcommandNames(command), "or")}.";
        }
        return string.Join(" ", error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static string Unmatched(Command root, CommandResult result, string token)
    {
        var command = result.Command;
        if (token.StartsWith('-'))
        {
            var names = OptionsOf(command).SelectMany(o => o.Aliases.Prepend(o.Name)).ToList();
            var near = Nearest(token, names);
            if (near is not null) return $"unknown option '{token}' for '{Path(command)}'; did you mean '{near}'?";
            // The option of another command, typed on the wrong one (--sentinels belongs to sandbox up, not failover).
            var elsewhere = Commands(root).SelectMany(c => c.Options.Where(o => !o.Hidden).Select(o => (Command: c, o.Name))).ToList();
            var other = Nearest(token, elsewhere.Select(x => x.Name).Distinct().ToList()) is { } name
                ? elsewhere.First(x => x.Name == name)
                : default;
            return $"unknown option '{token}' for '{Path(command)}'" + (other.Command is null
                ? $"; '{Path(command)} --help' lists its options."
                : $"; '{other.Name}' is an option of '{Path(other.Command)}'.");
        }
        // A command that takes an argument as well (report JOURNAL, report sign): a mistyped subcommand was read as that argument.
        var subcommands = command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)).ToList();
        var taken = result.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value).FirstOrDefault();
        if (taken is not null && Nearest(taken, subcommands) is { } meant)
        {
            return $"unknown command '{taken}' for '{Path(command)}'; did you mean '{meant}'?";
        }
        if (command.Subcommands.Count > 0 && command.Arguments.Count == 0)
        {
            var near = Nearest(token, subcommands);
            // A command of one of its groups, typed without the group (verify for backup verify).
            var nested = Commands(command).Skip(1).Where(c => !c.Hidden && c.Aliases.Prepend(c.Name).Contains(token)).ToList();
            return $"unknown command '{token}' for '{Path(command)}'"
                + (near is not null ? $"; did you mean '{near}'?"
                    : nested.Count > 0 ? $"; did you mean {Join(nested.Select(c => $"'{Path(c)}'").ToList(), "or")}?"
                    : $"; give one of {Join(SubcommandNames(command), "or")}.");
        }
        return $"unexpected argument '{token}' for '{Path(command)}'; '{Path(command)} --help' lists what it takes.";
    }

    private static List<string> SubcommandNames(Command command) => command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();

    /// <summary>The values an option accepts, when it accepts only some (an enum, AcceptOnlyFromAmong), in lower case as typed.</summary>
    private static IReadOnlyList<string> Choices(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type.IsEnum) return Enum.GetNames(type).Select(n => n.ToLowerInvariant()).ToList();
        if (type == typeof(bool)) return [];
        return option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
    }

    private static IEnumerable<Option> OptionsOf(Command command)
    {
        var own = command.Options.ToList();
        for (var parent = Parent(command); parent is not null; parent = Parent(parent))
        {
            own.AddRange(parent.Options.Where(o => o.Recursive));
        }
        return own.Where(o => !o.Hidden);
    }

    private static IEnumerable<Command> Commands(Command command) => command.Subcommands.SelectMany(Commands).Prepend(command);

    private static string Path(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null; c = Parent(c)) names.Insert(0, c is RootCommand ? "drtools" : c.Name);
        return string.Join(' ', names);
    }

    private static Command? Parent(Command command) => command.Parents.OfType<Command>().FirstOrDefault();

    private static string DidYouMean(string typed, IReadOnlyList<string> choices) =>
        Nearest(typed, choices) is { } near ? $"; did you mean '{near}'?" : ".";

    private static string Join(IReadOnlyList<string> words, string last) =>
        words.Count <= 1 ? string.Concat(words) : $"{string.Join(", ", words.Take(words.Count - 1))} {last} {words[^1]}";

    /// <summary>The candidate a typo most likely meant: the fewest edits (a swap of two letters is one), or the one it begins.</summary>
    public static string? Nearest(string typed, IReadOnlyList<string> candidates)
    {
        var word = typed.ToLowerInvariant();
        var best = candidates.Select(c => (Candidate: c, Distance: Distance(word, c.ToLowerInvariant())))
            .Where(x => x.Distance <= Math.Max(1, x.Candidate.TrimStart('-').Length / 3)).OrderBy(x => x.Distance).FirstOrDefault();
        if (best.Candidate is not null) return best.Candidate;
        if (word.TrimStart('-').Length < 2) return null;
        var begun = candidates.Where(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)).ToList();
        return begun.Count == 1 ? begun[0] : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
