using System.Text.Json;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>
/// <c>render</c>: a procedurally generated animation, one Julia-set frame per step, as an animated GIF that browsers
/// play while it downloads. Input: <c>{"seed": n, "frames": n, "width": w, "height": h}</c> and optionally
/// <c>"iterations"</c> (the CPU each frame costs). Only integer inputs and IEEE additions and multiplications, so the
/// same input gives the same bytes on every silo.
/// </summary>
public sealed class RenderKind : IJobKind
{
    public const int MaxFrames = 5000;
    public const int MaxSide = 640;
    public const int DefaultIterations = 400;
    public const int FrameDelayCentiseconds = 10;

    public string Name => "render";

    public JobPlan Plan(JobRequest request)
    {
        if (request.UploadBytes > 0) return JobPlan.Invalid("render takes no upload.");
        if (Read(request.Input) is not { } input) return JobPlan.Invalid(Rule);
        return new JobPlan(input.Frames, "image/gif", GifStream.Length(input.Width, input.Height, input.Frames));
    }

    public JobStepResult Run(JobStep step)
    {
        var input = Read(step.Input) ?? throw new InvalidOperationException(Rule);
        using var output = new MemoryStream();
        if (step.Number == 0) GifStream.WriteHeader(output, input.Width, input.Height, Palette(input.Seed));
        var pixels = Frame(input, step.Number, step.Cancellation);
        GifStream.WriteFrame(output, input.Width, input.Height, pixels, FrameDelayCentiseconds);
        if (step.Number == step.Steps - 1) GifStream.WriteTrailer(output);
        return new JobStepResult(output.ToArray(), null);
    }

    private static readonly string Rule =
        $"render takes {{\"seed\": 0..2147483647, \"frames\": 1..{MaxFrames}, \"width\": 16..{MaxSide}, \"height\": 16..{MaxSide}}} and optionally \"iterations\": 16..5000, integers only, nothing else.";

    private sealed record Input(int Seed, int Frames, int Width, int Height, int Iterations);

    private static Input? Read(JsonElement input)
    {
        int? seed = null, frames = null, width = null, height = null;
        var iterations = DefaultIterations;
        foreach (var member in input.EnumerateObject())
        {
            if (member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetInt32(out var value)) return null;
            switch (member.Name)
            {
                case "seed" when value >= 0: seed = value; break;
                case "frames" when value is >= 1 and <= MaxFrames: frames = value; break;
                case "width" when value is >= 16 and <= MaxSide: width = value; break;
                case "height" when value is >= 16 and <= MaxSide: height = value; break;
                case "iterations" when value is >= 16 and <= 5000: iterations = value; break;
                default: return null;
            }
        }
        return seed is { } s && frames is { } f && width is { } w && height is { } h ? new Input(s, f, w, h, iterations) : null;
    }

    /// <summary>256 colours: black for the set, then a hue ramp whose phase comes from the seed (integer arithmetic).</summary>
    private static byte[] Palette(int seed)
    {
        var palette = new byte[768];
        var phase = seed % 256;
        for (var i = 1; i < 256; i++)
        {
            var h = (i * 3 + phase) % 768;
            palette[i * 3] = Wave(h);
            palette[i * 3 + 1] = Wave(h + 256);
            palette[i * 3 + 2] = Wave(h + 512);
        }
        return palette;

        static byte Wave(int x)
        {
            x %= 768;
            return (byte)(x < 256 ? x : x < 512 ? 511 - x : 0);
        }
    }

    /// <summary>Frame <paramref name="n"/>: the Julia set of a parameter that drifts along a seed-dependent path.</summary>
    private static byte[] Frame(Input input, int n, CancellationToken cancellation)
    {
        var pixels = new byte[input.Width * input.Height];
        var t = (double)n / Math.Max(1, input.Frames - 1);
        var wobble = (input.Seed % 1000) / 1000.0;
        var cr = -0.8 + 0.22 * t + 0.05 * wobble;
        var ci = 0.156 + 0.12 * t * (1 - t) - 0.03 * wobble;
        var zoom = 1.6 - 0.6 * t;
        var scale = 2 * zoom / input.Height;
        for (var y = 0; y < input.Height; y++)
        {
            cancellation.ThrowIfCancellationRequested();
            for (var x = 0; x < input.Width; x++)
            {
                var zr = (x - input.Width / 2.0) * scale;
                var zi = (y - input.Height / 2.0) * scale;
                var i = 0;
                while (i < input.Iterations)
                {
                    var rr = zr * zr;
                    var ii = zi * zi;
                    if (rr + ii > 4) break;
                    zi = 2 * zr * zi + ci;
                    zr = rr - ii + cr;
                    i++;
                }
                pixels[y * input.Width + x] = i == input.Iterations ? (byte)0 : (byte)(1 + i * 7 % 255);
            }
        }
        return pixels;
    }
}
