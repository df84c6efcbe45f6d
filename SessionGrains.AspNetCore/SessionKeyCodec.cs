using System.Text;

namespace SessionGrains.AspNetCore;

/// <summary>
/// Maps ISession keys (any string) to SessionGrains data keys (1-128 characters of <c>A-Z a-z 0-9 _ - . :</c>) and back.
/// The data key is <see cref="Prefix"/> followed by the key's UTF-8 bytes, where <c>A-Z a-z 0-9 _ - .</c> stand for
/// themselves and every other byte is written <c>:XX</c> (two upper-case hex digits). So <c>visits</c> is
/// <c>s:visits</c>, <c>cart items</c> is <c>s:cart:20items</c>, <c>a:b</c> is <c>s:a:3Ab</c>. The mapping is reversible
/// and keys of other API users (without the prefix) are invisible to the session.
/// </summary>
public static class SessionKeyCodec
{
    /// <summary>The prefix of every key the provider writes.</summary>
    public const string Prefix = "s:";

    /// <summary>The longest data key SessionGrains accepts.</summary>
    public const int MaxDataKeyLength = 128;

    /// <summary>The data key of <paramref name="key"/>; throws when it would be longer than <see cref="MaxDataKeyLength"/>.</summary>
    public static string Encode(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        // The common key stands for itself: no UTF-8 bytes to look at one by one.
        if (key.Length <= MaxDataKeyLength - Prefix.Length && !key.AsSpan().ContainsAnyExcept(Plain)) return Prefix + key;
        var builder = new StringBuilder(Prefix, Prefix.Length + key.Length);
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            var c = (char)b;
            if (Plain.Contains(c)) builder.Append(c);
            else builder.Append(':').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (builder.Length > MaxDataKeyLength)
            throw new ArgumentOutOfRangeException(nameof(key), $"The session key '{Shorten(key)}' is {builder.Length} characters as a SessionGrains key ('{Prefix}' and escapes); at most {MaxDataKeyLength} are allowed.");
        return builder.ToString();
    }

    /// <summary>
    /// The JSON text a value is kept as: a string of its base64, with <c>+</c> escaped as <c>\u002B</c>, as SessionGrains'
    /// JSON writer escapes it (a merge patch of the plain string is stored the same way).
    /// </summary>
    public static string ValueJson(byte[] value) => "\"" + Convert.ToBase64String(value).Replace("+", "\\u002B", StringComparison.Ordinal) + "\"";

    /// <summary>The ISession key of a data key, or null when it is not one the provider wrote.</summary>
    public static string? Decode(string dataKey)
    {
        if (!dataKey.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        // Without escapes or characters past ASCII, the key is the rest of the data key as it is.
        if (!dataKey.AsSpan(Prefix.Length).ContainsAnyExcept(Unescaped)) return dataKey[Prefix.Length..];
        var bytes = new List<byte>(dataKey.Length);
        for (var i = Prefix.Length; i < dataKey.Length; i++)
        {
            var c = dataKey[i];
            if (c != ':')
            {
                if (c > 127) return null;
                bytes.Add((byte)c);
                continue;
            }
            if (i + 2 >= dataKey.Length || !byte.TryParse(dataKey.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var escaped)) return null;
            bytes.Add(escaped);
            i += 2;
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The characters that stand for themselves in a data key.</summary>
    private static readonly System.Buffers.SearchValues<char> Plain = System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.");

    /// <summary>The characters <see cref="Decode"/> takes one for one: ASCII but the escape mark.</summary>
    private static readonly System.Buffers.SearchValues<char> Unescaped = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 128).Select(c => (char)c).Where(c => c != ':')));

    private static string Shorten(string key) => key.Length <= 40 ? key : key[..40] + "…";
}
