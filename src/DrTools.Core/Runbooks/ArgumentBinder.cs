using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>
/// Turns step arguments written in YAML into their parameters' types, with ${variable} substitution. Validation runs
/// the same conversions on literals and checks variables against the types saved before, so that a file either
/// fails as a whole before anything runs or binds at run time.
/// </summary>
internal static partial class ArgumentBinder
{
    [GeneratedRegex(@"\$\{(?<path>[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)\}")]
    private static partial Regex Variable();

    /// <summary>Checks one argument before the run: literals convert, variables are defined and hold the right type.</summary>
    public static IEnumerable<RunbookError> Check(OperationParameter parameter, YamlNode node, IReadOnlyDictionary<string, Type> variables,
        IReadOnlyCollection<string> targets, string where)
    {
        switch (node)
        {
            case YamlSequenceNode sequence when parameter.Kind == ParameterKind.StringList:
                foreach (var item in sequence.Children)
                {
                    if (item is not YamlScalarNode scalar) yield return new(SourcePosition.Of(item),
                        $"{where}: each item must be a string.");
                    else foreach (var error in CheckVariables(scalar, variables, where)) yield return error;
                }
                yield break;
            case not YamlScalarNode:
                yield return new(SourcePosition.Of(node),
                    $"{where} expects {parameter.Describe()}, not a {(node is YamlSequenceNode ? "list" : "mapping")}.");
                yield break;
        }
        var text = ((YamlScalarNode)node).Value ?? "";
        var errors = CheckVariables((YamlScalarNode)node, variables, where).ToList();
        foreach (var error in errors) yield return error;
        var whole = WholeVariable(text);
        if (parameter.Kind == ParameterKind.Object)
        {
            if (whole is null) yield return new(SourcePosition.Of(node),
                $"{where} expects {parameter.Describe()} (from an earlier step's save:), not '{text}'.");
            else if (errors.Count == 0 && VariableType(whole, variables) is { } type && type != typeof(object)
                && parameter.ObjectType is { } expected && !expected.IsAssignableFrom(type))
                yield return new(SourcePosition.Of(node), $"{where} expects {parameter.Describe()}, but ${{{whole}}} holds a {type.Name}.");
            yield break;
        }
        if (parameter.Kind == ParameterKind.Target)
        {
            if (!targets.Contains(text)) yield return new(SourcePosition.Of(node),
                $"{where}: '{text}' is not a target of this runbook (targets: "
                + $"{(targets.Count == 0 ? "none" : string.Join(", ", targets))}).");
            yield break;
        }
        if (Variable().IsMatch(text)) yield break; // converted at run time, when the value is known
        if (Convert(parameter, text, where) is { } message) yield return new(SourcePosition.Of(node), message);
    }

    /// <summary>Binds one argument at run time.</summary>
    public static object? Bind(OperationParameter parameter, YamlNode node, IReadOnlyDictionary<string, object?> variables, string source,
        string where)
    {
        if (node is YamlSequenceNode sequence) return sequence.Children.Select(item => Interpolate(((YamlScalarNode)item).Value ?? "",
            variables, item, source, where)).ToList();
        var scalar = (YamlScalarNode)node;
        var text = scalar.Value ?? "";
        if (WholeVariable(text) is { } whole)
        {
            var value = Lookup(whole, variables, node, source, where);
            if (parameter.Kind == ParameterKind.Object)
            {
                return parameter.ObjectType is { } expected && value is not null && !expected.IsInstanceOfType(value)
                    ? throw Error(source, node, $"{where} expects {parameter.Describe()}, but ${{{whole}}} holds a {value.GetType().Name}.")
                    : value;
            }
            if (parameter.Kind == ParameterKind.Timestamp && value is DateTimeOffset or DateTime) return value is DateTime time
                ? new DateTimeOffset(time) : value;
            if (parameter.Kind == ParameterKind.Duration && value is TimeSpan) return value;
            if (parameter.Kind == ParameterKind.StringList
                && value is IEnumerable items and not string) return items.Cast<object?>().Select(Text).ToList();
        }
        var interpolated = Interpolate(text, variables, node, source, where);
        return Convert(parameter, interpolated, where, out var converted) is { } message ? throw Error(source, node, message) : converted;
    }

    /// <summary>A script step's argument: the object a whole ${variable} holds, otherwise the interpolated text.</summary>
    public static object? BindUntyped(YamlNode node, IReadOnlyDictionary<string, object?> variables, string source, string where) =>
        node switch
    {
        YamlSequenceNode sequence => sequence.Children.Select(item => BindUntyped(item, variables, source, where)).ToList(),
        YamlScalarNode { Value: { } text } when WholeVariable(text) is { } whole => Lookup(whole, variables, node, source, where),
        YamlScalarNode scalar => Interpolate(scalar.Value ?? "", variables, node, source, where),
        _ => throw Error(source, node, $"{where}: expected a value or a list of values."),
    };

    /// <summary>The scalar as a value for the parameter, or an error message.</summary>
    private static string? Convert(OperationParameter parameter, string text, string where) => Convert(parameter, text, where, out _);

    private static string? Convert(OperationParameter parameter, string text, string where, out object? value)
    {
        value = null;
        var invariant = CultureInfo.InvariantCulture;
        switch (parameter.Kind)
        {
            case ParameterKind.Integer:
                if (!long.TryParse(text, NumberStyles.Integer, invariant, out var integer)) return $"{where}: '{text}' is not an integer.";
                if (integer < parameter.Minimum
                    || integer > parameter.Maximum) return $"{where}: {text} is out of range; give {parameter.Minimum:0} to "
                    + $"{parameter.Maximum:0}.";
                value = integer;
                break;
            case ParameterKind.Number:
                if (!double.TryParse(text, NumberStyles.Float, invariant, out var number)
                    || !double.IsFinite(number)) return $"{where}: '{text}' is not a number.";
                if (number < parameter.Minimum
                    || number > parameter.Maximum) return $"{where}: {text} is out of range; give {parameter.Minimum.ToString(invariant)} "
                    + $"to {parameter.Maximum.ToString(invariant)}.";
                value = number;
                break;
            case ParameterKind.Boolean:
                value = Boolean(text);
                if (value is null) return $"{where}: '{text}' is not true or false.";
                break;
            case ParameterKind.Duration:
                try { value = DurationText.Parse(text, where, parameter.MaxDuration, parameter.Positive); }
                catch (DrToolsException e) { return e.Message; }
                break;
            case ParameterKind.Timestamp:
                try { value = TimestampText.Parse(text, where); }
                catch (DrToolsException e) { return e.Message; }
                break;
            case ParameterKind.Choice:
                value = parameter.Choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
                if (value is null) return $"{where}: '{text}' is not {parameter.Describe()}.";
                break;
            case ParameterKind.StringList:
                value = new List<string> { text };
                break;
            default:
                value = text;
                break;
        }
        return null;
    }

    /// <summary>A YAML-style boolean (true/false, yes/no, on/off), or null when the text is none of them.</summary>
    public static bool? Boolean(string text) => text.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => null,
    };

    private static IEnumerable<RunbookError> CheckVariables(YamlScalarNode scalar, IReadOnlyDictionary<string, Type> variables,
        string where)
    {
        foreach (Match match in Variable().Matches(scalar.Value ?? ""))
        {
            var path = match.Groups["path"].Value;
            var parts = path.Split('.');
            if (!variables.TryGetValue(parts[0], out var type))
            {
                yield return new(SourcePosition.Of(scalar),
                    $"{where}: variable ${{{parts[0]}}} is not defined here (defined: "
                    + $"{string.Join(", ", variables.Keys.Select(k => $"${{{k}}}"))}; a step defines one with save:).");
                continue;
            }
            foreach (var name in parts.Skip(1))
            {
                if (type == typeof(object)) break;
                var property = FindProperty(type, name);
                if (property is null)
                {
                    yield return new(SourcePosition.Of(scalar),
                        $"{where}: ${{{path}}}: a {type.Name} has no property '{name}' (it has "
                        + $"{string.Join(", ", type.GetProperties().Select(p => p.Name))}).");
                    break;
                }
                type = property.PropertyType;
            }
        }
    }

    private static Type? VariableType(string path, IReadOnlyDictionary<string, Type> variables)
    {
        var parts = path.Split('.');
        var type = variables[parts[0]];
        foreach (var name in parts.Skip(1)) type = type == typeof(object) ? type : FindProperty(type, name)!.PropertyType;
        return type;
    }

    private static string? WholeVariable(string text) => Variable().Match(text) is { Success: true } match && match.Length == text.Length
        ? match.Groups["path"].Value : null;

    private static string Interpolate(string text, IReadOnlyDictionary<string, object?> variables, YamlNode node, string source,
        string where) =>
        Variable().Replace(text, match => Text(Lookup(match.Groups["path"].Value, variables, node, source, where)));

    private static object? Lookup(string path, IReadOnlyDictionary<string, object?> variables, YamlNode node, string source, string where)
    {
        var parts = path.Split('.');
        if (!variables.TryGetValue(parts[0], out var value))
        {
            throw Error(source, node, $"{where}: ${{{parts[0]}}} has no value: the step that saves it did not run.");
        }
        foreach (var name in parts.Skip(1))
        {
            value = value switch
            {
                null => throw Error(source, node, $"{where}: ${{{path}}}: '{name}' of a missing value."),
                IDictionary<string, object?> fields => fields.FirstOrDefault(f => string.Equals(f.Key, name,
                    StringComparison.OrdinalIgnoreCase)).Value,
                _ => (FindProperty(value.GetType(), name) ?? throw Error(source, node,
                    $"{where}: ${{{path}}}: a {value.GetType().Name} has no property '{name}'.")).GetValue(value),
            };
        }
        return value;
    }

    private static PropertyInfo? FindProperty(Type type, string name) =>
        type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);

    private static string Text(object? value) => value switch
    {
        null => "",
        DateTimeOffset time => time.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static RunbookInvalidException Error(string source, YamlNode node, string message) => new(source, [new(SourcePosition.Of(node),
        message)]);

    /// <summary>The message of a YAML syntax error, with its place.</summary>
    public static RunbookError SyntaxError(YamlException e) => new(new((int)e.Start.Line, (int)e.Start.Column), e.InnerException?.Message
        ?? e.Message);
}
