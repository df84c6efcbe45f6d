using System.Text.Json;
using System.Text.Json.Serialization;

namespace SessionGrains.Client.Sessions;

/// <summary>Session data: key to the stored JSON value, written out as one JSON object without re-parsing.</summary>
[JsonConverter(typeof(SessionDataConverter))]
public sealed class SessionData(IReadOnlyDictionary<string, string> values)
{
    public IReadOnlyDictionary<string, string> Values { get; } = values;
}
