using System.Text.Json;
using System.Text.Json.Serialization;

namespace SessionGrains.Client.Sessions;

/// <summary>Writes <see cref="SessionData"/> values as raw JSON (they were validated when stored).</summary>
public sealed class SessionDataConverter : JsonConverter<SessionData>
{
    public override SessionData Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject()) values[property.Name] = JsonBody.Compact(property.Value);
        return new SessionData(values);
    }

    public override void Write(Utf8JsonWriter writer, SessionData value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, json) in value.Values)
        {
            writer.WritePropertyName(key);
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }
}
