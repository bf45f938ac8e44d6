using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>An objective's target: a number, or (in older journals) a duration such as "00:00:30", read as seconds.</summary>
internal sealed class ObjectiveTargetConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? TimeSpan.Parse(reader.GetString()!,
            System.Globalization.CultureInfo.InvariantCulture).TotalSeconds : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
