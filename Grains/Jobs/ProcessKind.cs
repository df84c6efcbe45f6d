using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>
/// <c>process</c>: an uploaded file, one stored chunk per step: bytes, lines (newlines, as <c>wc -l</c>), words
/// (<c>wc -w</c>: runs of non-whitespace, counted across chunk boundaries) and SHA-256 of each chunk, then totals.
/// The result is JSON whose numbers are padded with spaces to a fixed width, so its length is known in advance.
/// Input: <c>{}</c> (no fields); the file is the request body.
/// </summary>
public sealed class ProcessKind : IJobKind
{
    private const int Wide = 15;

    public string Name => "process";

    public JobPlan Plan(JobRequest request)
    {
        if (request.Input.EnumerateObject().Any()) return JobPlan.Invalid("process takes no input fields; upload the file as the request body.");
        if (request.UploadBytes == 0) return JobPlan.Invalid("process needs a file: send it as the request body (application/octet-stream).");
        var chunks = (int)((request.UploadBytes + request.UploadChunkBytes - 1) / request.UploadChunkBytes);
        // The last record ends without a comma.
        var length = Header(0).Length + (long)chunks * RecordLength - 1 + Footer(0, 0, 0).Length;
        return new JobPlan(chunks, "application/json", length);
    }

    public JobStepResult Run(JobStep step)
    {
        var (bytes, lines, words, inWord) = Totals(step.State);
        var chunk = step.UploadChunk.Span;
        long chunkLines = 0, chunkWords = 0;
        foreach (var b in chunk)
        {
            if (b == (byte)'\n') chunkLines++;
            var space = b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
            if (!space && !inWord) chunkWords++;
            inWord = !space;
        }
        bytes += chunk.Length;
        lines += chunkLines;
        words += chunkWords;

        var text = new StringBuilder();
        // Every chunk but the last is full, so the first one's length is the chunk size (or the whole file, when smaller).
        if (step.Number == 0) text.Append(Header(step.UploadChunk.Length));
        text.Append(CultureInfo.InvariantCulture, $"{{\"index\":{Pad(step.Number, 10)},\"bytes\":{Pad(chunk.Length, Wide)},\"lines\":{Pad(chunkLines, Wide)},\"words\":{Pad(chunkWords, Wide)},\"sha256\":\"{Convert.ToHexStringLower(SHA256.HashData(chunk))}\"}}");
        text.Append(step.Number == step.Steps - 1 ? "\n" : ",\n");
        if (step.Number == step.Steps - 1) text.Append(Footer(bytes, lines, words));

        var state = new byte[25];
        BinaryPrimitives.WriteInt64LittleEndian(state, bytes);
        BinaryPrimitives.WriteInt64LittleEndian(state.AsSpan(8), lines);
        BinaryPrimitives.WriteInt64LittleEndian(state.AsSpan(16), words);
        state[24] = inWord ? (byte)1 : (byte)0;
        return new JobStepResult(Encoding.UTF8.GetBytes(text.ToString()), state);
    }

    private static readonly int RecordLength = Encoding.UTF8.GetByteCount(
        $"{{\"index\":{Pad(0, 10)},\"bytes\":{Pad(0, Wide)},\"lines\":{Pad(0, Wide)},\"words\":{Pad(0, Wide)},\"sha256\":\"{new string('0', 64)}\"}},\n");

    private static string Header(int chunkBytes) => $"{{\"chunkBytes\":{Pad(chunkBytes, Wide)},\"chunks\":[\n";

    private static string Footer(long bytes, long lines, long words) =>
        $"],\"totals\":{{\"bytes\":{Pad(bytes, Wide)},\"lines\":{Pad(lines, Wide)},\"words\":{Pad(words, Wide)}}}}}\n";

    private static string Pad(long value, int width) => value.ToString(CultureInfo.InvariantCulture).PadLeft(width);

    private static (long Bytes, long Lines, long Words, bool InWord) Totals(byte[]? state) => state is { Length: 25 }
        ? (BinaryPrimitives.ReadInt64LittleEndian(state), BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(16)), state[24] != 0)
        : (0, 0, 0, false);
}
