using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>
/// What a file must be before it is read as a runbook: text of a sane size, nested no deeper than a runbook ever is, its
/// keys plain words. Checked without recursion, so a hostile file (a 60 KB run of '[') gets one error, not a stack overflow.
/// </summary>
internal static class RunbookShape
{
    public const int MaxCharacters = 1 << 20;
    public const int MaxDepth = 64;
    /// <summary>Most nodes that aliases may add: a 1 KB "billion laughs" file would otherwise expand to millions.</summary>
    public const int MaxAliasNodes = 100_000;

    /// <summary>The first problem of the text as a whole, before it is loaded: size, binary content, depth, YAML syntax.</summary>
    public static RunbookError? CheckText(string text, CancellationToken cancellationToken = default)
    {
        if (text.Length > MaxCharacters)
        {
            return new(new(1, 1), $"the file has {text.Length:N0} characters; a runbook has at most {MaxCharacters:N0} (1 MiB).");
        }
        var control = text.AsSpan().IndexOfAnyInRange('\0', '\b');
        if (control < 0) control = text.AsSpan().IndexOfAnyInRange('\u000e', '\u001f');
        if (control >= 0) return new(PositionOf(text, control),
            $"not a text file: control character 0x{(int)text[control]:x2} (a runbook is YAML text).");
        try
        {
            var parser = new Parser(new StringReader(text));
            var depth = 0;
            var aliases = new AliasBudget();
            while (parser.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var current = parser.Current!;
                switch (current)
                {
                    case MappingStart or SequenceStart when ++depth > MaxDepth:
                        return new(Position(current), $"nested more than {MaxDepth} levels deep; a runbook never is.");
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
                if (!aliases.Add(current))
                {
                    return new(Position(current),
                        $"aliases here expand to more than {MaxAliasNodes:N0} nodes (an alias bomb); a runbook never needs that many.");
                }
            }
            return null;
        }
        catch (YamlException e)
        {
            return TabIndentation(text, e) ?? ArgumentBinder.SyntaxError(e);
        }
    }

    private static SourcePosition Position(ParsingEvent at) => new((int)at.Start.Line, (int)at.Start.Column);

    /// <summary>
    /// Counts the nodes each anchor stands for as the events pass, so that the nodes all aliases add up to are known
    /// without expanding one: linear in the text, however deeply aliases of aliases nest.
    /// </summary>
    private sealed class AliasBudget
    {
        private readonly Dictionary<string, long> _anchorSizes = [];
        private readonly Stack<(long Nodes, string? Anchor)> _open = new([(0, null)]);
        private long _added;

        /// <summary>Takes in one event; false when the aliases so far add more nodes than <see cref="MaxAliasNodes"/>.</summary>
        public bool Add(ParsingEvent current)
        {
            switch (current)
            {
                case Scalar scalar:
                    Count(1, Name(scalar));
                    break;
                case MappingStart or SequenceStart:
                    _open.Push((1, Name((NodeEvent)current)));
                    break;
                case MappingEnd or SequenceEnd when _open.Count > 1:
                    var (nodes, anchor) = _open.Pop();
                    Count(nodes, anchor);
                    break;
                case AnchorAlias alias:
                    var size = _anchorSizes.GetValueOrDefault(alias.Value.Value, 1);
                    _added += size;
                    if (_added > MaxAliasNodes) return false;
                    Count(size, null);
                    break;
            }
            return true;
        }

        private void Count(long nodes, string? anchor)
        {
            var (total, name) = _open.Pop();
            _open.Push((total + nodes, name));
            if (anchor is not null) _anchorSizes[anchor] = nodes;
        }

        private static string? Name(NodeEvent node) => node.Anchor.IsEmpty ? null : node.Anchor.Value;
    }

    /// <summary>Keys must be plain scalars (runbooks never use lists or mappings as keys); the first that is not, after loading.</summary>
    public static RunbookError? CheckKeys(YamlNode root)
    {
        var pending = new Stack<YamlNode>([root]);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case YamlMappingNode mapping:
                    foreach (var (key, value) in mapping.Children)
                    {
                        if (key is not YamlScalarNode) return new(SourcePosition.Of(key),
                            "a key must be a plain word, not a list or mapping.");
                        pending.Push(value);
                    }
                    break;
                case YamlSequenceNode sequence:
                    foreach (var item in sequence.Children) pending.Push(item);
                    break;
            }
        }
        return null;
    }

    /// <summary>YAML forbids tabs in indentation, but the parser reports where the block began: name the tab itself.</summary>
    private static RunbookError? TabIndentation(string text, YamlException e)
    {
        if (!e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase)) return null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indentation = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t');
            if (tab >= 0 && tab < indentation) return new(new(i + 1, tab + 1), "a tab indents this line; YAML indents with spaces only.");
        }
        return null;
    }

    private static SourcePosition PositionOf(string text, int index)
    {
        var line = 1 + text.AsSpan(0, index).Count('\n');
        var column = index - (text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1) + 1;
        return new(line, column);
    }
}
