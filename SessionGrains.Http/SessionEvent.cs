using System.Text.Json;

namespace SessionGrains.Http;

/// <summary>What a session event says happened.</summary>
public enum SessionEventType
{
    /// <summary>Data changed: <see cref="SessionEvent.Version"/> is the new version, <see cref="SessionEvent.Keys"/> the keys written or removed.</summary>
    Changed,

    /// <summary>A message posted to the session; <see cref="SessionEvent.Data"/> is its value.</summary>
    Message,

    /// <summary>The session expired. The stream ends after it.</summary>
    Expired,

    /// <summary>The session was deleted, rotated away or logged out. The stream ends after it.</summary>
    Deleted,

    /// <summary>Events after <see cref="SessionEvent.AfterSeq"/> are no longer all available: reload the session.</summary>
    Gap,
}

/// <summary>One event of a session's WebSocket feed.</summary>
public sealed record SessionEvent(
    SessionEventType Type,
    long? Seq,
    long? Version,
    IReadOnlyList<string> Keys,
    JsonElement? Data,
    long? AfterSeq)
{
    /// <summary>Whether the session is over after this event.</summary>
    public bool EndsSession => Type is SessionEventType.Expired or SessionEventType.Deleted;

    /// <summary>Reads one event message; null for messages that are not events (<c>pong</c>, unknown types).</summary>
    public static SessionEvent? Parse(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement)) return null;
        SessionEventType? type = typeElement.GetString() switch
        {
            "changed" => SessionEventType.Changed,
            "message" => SessionEventType.Message,
            "expired" => SessionEventType.Expired,
            "deleted" => SessionEventType.Deleted,
            "gap" => SessionEventType.Gap,
            _ => null,
        };
        if (type is null) return null;
        var keys = root.TryGetProperty("keys", out var keyArray) && keyArray.ValueKind == JsonValueKind.Array
            ? keyArray.EnumerateArray().Select(k => k.GetString() ?? "").ToArray()
            : [];
        return new SessionEvent(type.Value, Int64(root, "seq"), Int64(root, "version"), keys,
            root.TryGetProperty("data", out var data) ? data.Clone() : null, Int64(root, "afterSeq"));
    }

    private static long? Int64(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;
}
