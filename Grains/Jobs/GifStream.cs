namespace SessionGrains.Grains.Jobs;

/// <summary>
/// An animated GIF written frame by frame, with every size known before the first byte: 8-bit pixels go out as 9-bit
/// LZW literal codes with a clear code before the decoder's table would need a 10th bit. That costs compression (about
/// 9/8 of the raw pixels) but makes the file's length a function of width, height and frame count alone, so a growing
/// response carries an exact Content-Length and any Range can be answered while the job still runs.
/// </summary>
public static class GifStream
{
    /// <summary>Literals per clear code: after a clear the decoder's next code is 258 and reaches 512 (10 bits) after 255 codes.</summary>
    public const int LiteralsPerClear = 254;

    private const int ClearCode = 256;
    private const int EndCode = 257;

    public static int HeaderLength => 6 + 7 + 768;

    /// <summary>Bytes of the LZW data of one frame (codes packed, before splitting into sub-blocks).</summary>
    public static long CodeBytes(int width, int height)
    {
        long pixels = (long)width * height;
        var codes = pixels + (pixels + LiteralsPerClear - 1) / LiteralsPerClear + 1;
        return (codes * 9 + 7) / 8;
    }

    public static long FrameLength(int width, int height)
    {
        var data = CodeBytes(width, height);
        return 8 + 10 + 1 + data + (data + 254) / 255 + 1;
    }

    public static long Length(int width, int height, int frames) => HeaderLength + frames * FrameLength(width, height) + 1;

    /// <summary>Signature, screen descriptor and the 256-colour global palette (RGB triples).</summary>
    public static void WriteHeader(Stream output, int width, int height, ReadOnlySpan<byte> palette)
    {
        output.Write("GIF89a"u8);
        WriteShort(output, width);
        WriteShort(output, height);
        output.WriteByte(0xF7); // global colour table of 2^(7+1) entries, 8 bits per primary
        output.WriteByte(0);
        output.WriteByte(0);
        output.Write(palette[..768]);
    }

    /// <summary>One frame of palette indices (row by row), shown for <paramref name="delayCentiseconds"/>.</summary>
    public static void WriteFrame(Stream output, int width, int height, ReadOnlySpan<byte> pixels, int delayCentiseconds)
    {
        output.Write([0x21, 0xF9, 0x04, 0x04]); // graphic control: keep the frame (disposal 1), no transparency
        WriteShort(output, delayCentiseconds);
        output.Write([0x00, 0x00]);
        output.WriteByte(0x2C);
        WriteShort(output, 0);
        WriteShort(output, 0);
        WriteShort(output, width);
        WriteShort(output, height);
        output.WriteByte(0);
        output.WriteByte(8); // LZW minimum code size

        var data = new byte[CodeBytes(width, height)];
        var bits = 0L;
        void Emit(int code)
        {
            for (var i = 0; i < 9; i++, bits++)
            {
                if ((code >> i & 1) != 0) data[bits >> 3] |= (byte)(1 << (int)(bits & 7));
            }
        }
        for (var i = 0; i < pixels.Length; i++)
        {
            if (i % LiteralsPerClear == 0) Emit(ClearCode);
            Emit(pixels[i]);
        }
        Emit(EndCode);
        for (var at = 0; at < data.Length; at += 255)
        {
            var n = Math.Min(255, data.Length - at);
            output.WriteByte((byte)n);
            output.Write(data, at, n);
        }
        output.WriteByte(0);
    }

    public static void WriteTrailer(Stream output) => output.WriteByte(0x3B);

    private static void WriteShort(Stream output, int value)
    {
        output.WriteByte((byte)value);
        output.WriteByte((byte)(value >> 8));
    }
}
