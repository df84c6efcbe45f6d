using System.Globalization;
using System.Text;
using SessionGrains.Interfaces;

namespace SessionGrains.Bench.Memory;

/// <summary>
/// The small payload of every session: one key <c>cart</c> holding <c>["book-00000042"]</c>, fresh strings for each
/// session (as if deserialized from a request) so that no session shares its data with another.
/// </summary>
internal static class Payload
{
    private const int ValueLength = 17;

    /// <summary>The key and value strings on the heap: 22 bytes + 2 per char each, 8-byte aligned.</summary>
    public static readonly int ManagedBytes = StringBytes(4) + StringBytes(ValueLength);

    public static readonly int Utf8Bytes = 4 + ValueLength;

    public static SessionCreation For(long n)
    {
        var key = new StringBuilder(4).Append("cart").ToString();
        var value = string.Create(CultureInfo.InvariantCulture, $"[\"book-{n % 100_000_000:D8}\"]");
        return new SessionCreation(new Dictionary<string, string> { [key] = value }, null, null, null);
    }

    private static int StringBytes(int chars) => (22 + 2 * chars + 7) / 8 * 8;
}
