namespace DrTools.Core.Runbooks;

/// <summary>A step's arguments, converted to their parameters' types (variables already substituted).</summary>
public sealed class StepArguments(IReadOnlyDictionary<string, object?> values)
{
    public string? String(string name) => Get<string>(name);
    public string Required(string name) => Get<string>(name) ?? throw new DrToolsException($"parameter {name} is required.",
        DrErrorKind.InvalidArgument);
    public IReadOnlyList<string>? List(string name) => Get<IReadOnlyList<string>>(name);
    public double? Number(string name) => values.TryGetValue(name, out var value) && value is not null ? Convert.ToDouble(value,
        System.Globalization.CultureInfo.InvariantCulture) : null;
    public long? Integer(string name) => values.TryGetValue(name, out var value) && value is not null ? (long)value : null;
    public bool Flag(string name) => Get<bool?>(name) ?? false;
    public TimeSpan? Duration(string name) => Get<TimeSpan?>(name);
    public DateTimeOffset? Timestamp(string name) => Get<DateTimeOffset?>(name);
    public T? Get<T>(string name) => values.TryGetValue(name, out var value) && value is T typed ? typed : default;
}
