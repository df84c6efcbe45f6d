using System.Buffers;
using System.Text.Json;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Sockets;

/// <summary>The JSON text messages of the WebSocket protocol (see API.md), as UTF-8 ready to send; shared by every socket of a feed.</summary>
public static class SessionEventJson
{
    public static byte[] Of(SessionEvent e) => Write(writer =>
    {
        writer.WriteString("type", e.Kind switch
        {
            SessionEventKind.Changed => "changed",
            SessionEventKind.Message => "message",
            SessionEventKind.Expired => "expired",
            >= SessionEventKind.JobProgress => JobJson.EventType(e.Kind),
            _ => "deleted",
        });
        writer.WriteNumber("seq", e.Seq);
        if (e.Kind == SessionEventKind.Changed)
        {
            writer.WriteNumber("version", e.Version);
            writer.WriteStartArray("keys");
            foreach (var key in e.Keys) writer.WriteStringValue(key);
            writer.WriteEndArray();
        }
        else if (e.Kind >= SessionEventKind.JobProgress)
        {
            writer.WritePropertyName("job");
            writer.WriteRawValue(e.MessageJson ?? "null", skipInputValidation: true);
        }
        else if (e.Kind == SessionEventKind.Message)
        {
            writer.WritePropertyName("data");
            writer.WriteRawValue(e.MessageJson ?? "null", skipInputValidation: true);
        }
    });

    public static byte[] Gap(long afterSeq) => Write(writer =>
    {
        writer.WriteString("type", "gap");
        writer.WriteNumber("afterSeq", afterSeq);
    });

    public static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    /// <summary>Whether the client's message is <c>{"type":"ping"}</c>.</summary>
    public static bool IsPing(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("type", out var type)
                && type.ValueKind == JsonValueKind.String
                && type.ValueEquals("ping");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
