using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>A change of session data: the new data (a new dictionary), the keys it touched and, for increments, the counter.</summary>
public sealed record DataChange(Dictionary<string, string> Data, string[] Keys, long? Counter = null)
{
    public bool IsEmpty => Keys.Length == 0;
}

/// <summary>
/// The data operations of a session as pure functions: each checks keys, values and limits and answers the new data,
/// or the failure that leaves the session as it was. The data passed in is never changed.
/// </summary>
public static class SessionDataRules
{
    public static Reply<DataChange> Create(IReadOnlyDictionary<string, string> initial, SessionRules rules)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, json) in initial)
        {
            if (CheckValue(key, json, rules) is { } invalid) return invalid;
            data[key] = json;
        }
        var keys = new string[data.Count];
        var i = 0;
        // Not data.Keys: that would keep a key collection object alive with every session's data.
        foreach (var (key, _) in data) keys[i++] = key;
        return Checked(new DataChange(data, keys), rules);
    }

    public static Reply<DataChange> Put(IReadOnlyDictionary<string, string> data, string key, string json, SessionRules rules)
    {
        if (CheckValue(key, json, rules) is { } invalid) return invalid;
        var next = Copy(data);
        next[key] = json;
        return Checked(new DataChange(next, [key]), rules);
    }

    public static Reply<DataChange> Remove(IReadOnlyDictionary<string, string> data, string key, SessionRules rules)
    {
        if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return InvalidKey(key, rules);
        if (!data.ContainsKey(key)) return KeyNotFound(key);
        var next = Copy(data);
        next.Remove(key);
        return new DataChange(next, [key]);
    }

    /// <summary>Applies an RFC 7396 merge patch; a patch without members is an empty change.</summary>
    public static Reply<DataChange> Patch(IReadOnlyDictionary<string, string> data, string mergePatchJson, SessionRules rules)
    {
        try
        {
            return ApplyPatch(data, mergePatchJson, rules);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or JsonException)
        {
            // Text JSON's syntax allows but Unicode does not (a lone surrogate escape) fails only when a name or string
            // is decoded or written: the front end refuses it first, and the grain refuses it too rather than fail.
            return new SessionFailure(SessionStatus.InvalidArgument, "The merge patch holds a string or member name that is not valid Unicode text.");
        }
    }

    private static Reply<DataChange> ApplyPatch(IReadOnlyDictionary<string, string> data, string mergePatchJson, SessionRules rules)
    {
        if (FlatMergePatch.TryRead(mergePatchJson) is { } members) return Replace(data, members, rules);
        if (ParseObject(mergePatchJson) is not JsonObject patch)
            return new SessionFailure(SessionStatus.InvalidArgument, "A merge patch of session data must be a JSON object whose member names are distinct.");

        var next = Copy(data);
        var keys = new List<string>(patch.Count);
        foreach (var (key, value) in patch)
        {
            if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return InvalidKey(key, rules);
            keys.Add(key);
            if (value is null)
            {
                next.Remove(key);
                continue;
            }
            var merged = JsonMergePatch.Apply(next.GetValueOrDefault(key), value);
            if (CheckValue(key, merged, rules) is { } invalid) return invalid;
            next[key] = merged;
        }
        return Checked(new DataChange(next, [.. keys]), rules);
    }

    /// <summary>A patch of plain values (<see cref="FlatMergePatch"/>): each replaces its key's value, or removes it when null.</summary>
    public static Reply<DataChange> Replace(IReadOnlyDictionary<string, string> data, IReadOnlyList<KeyValuePair<string, string?>> members, SessionRules rules)
    {
        var next = Copy(data);
        var keys = new string[members.Count];
        for (var i = 0; i < members.Count; i++)
        {
            var (key, json) = members[i];
            if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return InvalidKey(key, rules);
            keys[i] = key;
            if (json is null) next.Remove(key);
            else if (CheckValue(key, json, rules) is { } invalid) return invalid;
            else next[key] = json;
        }
        return Checked(new DataChange(next, keys), rules);
    }

    public static Reply<DataChange> Increment(IReadOnlyDictionary<string, string> data, string key, long by, SessionRules rules)
    {
        if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return InvalidKey(key, rules);
        long current = 0;
        if (data.TryGetValue(key, out var json) && !long.TryParse(json, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out current))
            return new SessionFailure(SessionStatus.NotAnInteger, $"Key '{key}' holds a value that is not an integer.");
        long value;
        try
        {
            value = checked(current + by);
        }
        catch (OverflowException)
        {
            return new SessionFailure(SessionStatus.NotAnInteger, $"Adding {by} to key '{key}' would overflow a 64-bit integer.");
        }
        var next = Copy(data);
        next[key] = value.ToString(CultureInfo.InvariantCulture);
        return Checked(new DataChange(next, [key], value), rules);
    }

    public static Reply<SessionValue> Read(IReadOnlyDictionary<string, string> data, long version, string key, SessionRules rules)
    {
        if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return InvalidKey(key, rules);
        return data.TryGetValue(key, out var json) ? new SessionValue(version, json) : KeyNotFound(key);
    }

    /// <summary>A message's payload within the value limit.</summary>
    public static SessionFailure? CheckMessage(string json, SessionRules rules) =>
        Encoding.UTF8.GetByteCount(json) > rules.MaxValueBytes
            ? new SessionFailure(SessionStatus.ValueTooLarge, $"A message may be at most {rules.MaxValueBytes} bytes.")
            : null;

    private static Reply<DataChange> Checked(DataChange change, SessionRules rules)
    {
        if (change.Data.Count > rules.MaxKeys)
            return new SessionFailure(SessionStatus.TooManyKeys, $"A session holds at most {rules.MaxKeys} keys.");
        var total = 0;
        foreach (var (key, json) in change.Data) total += key.Length + Encoding.UTF8.GetByteCount(json);
        if (total > rules.MaxSessionBytes)
            return new SessionFailure(SessionStatus.SessionTooLarge, $"Session data may total at most {rules.MaxSessionBytes} bytes.");
        return change;
    }

    private static SessionFailure? CheckValue(string key, string json, SessionRules rules)
    {
        if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return InvalidKey(key, rules);
        if (Encoding.UTF8.GetByteCount(json) > rules.MaxValueBytes)
            return new SessionFailure(SessionStatus.ValueTooLarge, $"The value of '{key}' is larger than {rules.MaxValueBytes} bytes.");
        return null;
    }

    private static SessionFailure InvalidKey(string key, SessionRules rules) =>
        new(SessionStatus.InvalidKey, SessionKeys.InvalidKeyDetail(key, rules.MaxKeyLength));

    private static SessionFailure KeyNotFound(string key) => new(SessionStatus.KeyNotFound, $"The session has no key '{key}'.");

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string> data) =>
        data is Dictionary<string, string> dictionary ? new(dictionary, StringComparer.Ordinal) : new(data, StringComparer.Ordinal);

    /// <summary>The patch as a JSON node, or null when it is not JSON or repeats a member name (a JsonObject cannot hold that).</summary>
    private static JsonNode? ParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
