using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SessionGrains.Grains;

/// <summary>
/// The common merge patch read without a JSON tree: an object whose members are all strings, numbers, booleans or null
/// (what the drop-in store and most clients send) replaces or removes values, with nothing to merge. Each value comes out
/// as the text <see cref="JsonMergePatch"/> would write for it: numbers and literals as sent, strings escaped as the
/// writer escapes them. Anything else (nested objects or arrays, repeated names, text the reader or the encoder refuses,
/// surrogates) is left to the tree-based path, which gives the answer and the refusal.
/// </summary>
public static class FlatMergePatch
{
    /// <summary>The members of <paramref name="json"/> in order (null value: remove), or null when the tree-based path must decide.</summary>
    public static List<KeyValuePair<string, string?>>? TryRead(string json)
    {
        // Lone surrogates are refused by the tree-based path (or turned into replacement characters by transcoding): never here.
        if (json.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0) return null;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            var members = new List<KeyValuePair<string, string?>>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!reader.Read()) return null;
                string? value;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        var text = reader.ValueIsEscaped ? JsonEncodedText.Encode(reader.GetString()!, JavaScriptEncoder.Default) : JsonEncodedText.Encode(reader.ValueSpan, JavaScriptEncoder.Default);
                        value = "\"" + text.Value + "\"";
                        break;
                    case JsonTokenType.Number:
                        value = Encoding.UTF8.GetString(reader.ValueSpan);
                        break;
                    case JsonTokenType.True: value = "true"; break;
                    case JsonTokenType.False: value = "false"; break;
                    case JsonTokenType.Null: value = null; break;
                    default: return null;
                }
                if (!names.Add(name)) return null;
                members.Add(new(name, value));
            }
            // The object's end, then nothing but whitespace (a second value makes the reader throw).
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return null;
            return members;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
