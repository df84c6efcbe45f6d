using System.Text.Json;
using System.Text.Unicode;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// Finds strings that JSON's syntax allows but text cannot hold: a lone surrogate escape such as <c>"\ud800"</c>, or
/// bytes that are not UTF-8. System.Text.Json parses them, but fails later when it decodes or re-encodes the string
/// (a member name, <c>Compact</c>, a merge patch), so the front end refuses them before any of that happens.
/// </summary>
public static class JsonStrings
{
    /// <summary>Null when every string and member name of <paramref name="utf8Json"/> is valid Unicode; otherwise why not.</summary>
    public static string? FindInvalid(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) continue;
                if (IsValid(ref reader)) continue;
                var what = reader.TokenType == JsonTokenType.PropertyName ? "A member name" : "A string";
                return $"{what} at byte {reader.TokenStartIndex} is not valid Unicode text (a lone surrogate escape or invalid UTF-8).";
            }
        }
        catch (JsonException ex)
        {
            return $"The body is not valid JSON: {ex.Message}";
        }
        return null;
    }

    private static bool IsValid(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence) return TryDecode(ref reader);
        // Unescaped text is checked as UTF-8 without decoding; escapes must be decoded to see the surrogates they form.
        return reader.ValueIsEscaped ? TryDecode(ref reader) : Utf8.IsValid(reader.ValueSpan);
    }

    private static bool TryDecode(ref Utf8JsonReader reader)
    {
        try
        {
            _ = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
