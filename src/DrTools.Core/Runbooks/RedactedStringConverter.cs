using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>Every text of a journal is stored masked of passwords: step messages and issues carry servers' and drivers' words.</summary>
internal sealed class RedactedStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Secrets.Redaction.Text(value));
}
