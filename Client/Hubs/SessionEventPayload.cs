using System.Text.Json;
using System.Text.Json.Serialization;

namespace SessionGrains.Client.Hubs;

/// <summary>
/// The argument of an <c>event</c> invocation: a message of the raw WebSocket protocol, written into the hub
/// message as the JSON object it is. It was serialized once for every connection of the session's feed.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed class SessionEventPayload(byte[] utf8)
{
    public byte[] Utf8 { get; } = utf8;

    private sealed class Converter : JsonConverter<SessionEventPayload>
    {
        public override SessionEventPayload Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Session events are only sent.");

        public override void Write(Utf8JsonWriter writer, SessionEventPayload value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Utf8, skipInputValidation: true);
    }
}
