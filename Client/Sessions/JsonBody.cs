using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace SessionGrains.Client.Sessions;

/// <summary>
/// Reads a request body as one JSON value within a size limit, answering 415, 413 or 400 with a problem
/// detail when it is not one, and returns it in compact form.
/// </summary>
public static class JsonBody
{
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Problem)> Read(HttpRequest request, int maxBytes, bool allowEmpty, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey(HeaderNames.TransferEncoding)))
        {
            return allowEmpty ? (null, null) : (null, SessionProblems.BadRequest("The request needs a JSON body."));
        }
        if (!IsJson(request.ContentType))
        {
            return (null, SessionProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
                "The body must be JSON (Content-Type: application/json)."));
        }
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is { } length ? (int)length : 4096);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await request.Body.ReadAsync(memory, cancellationToken);
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes) return (null, TooLarge(maxBytes));
        }
        if (buffer.WrittenCount == 0)
        {
            return allowEmpty ? (null, null) : (null, SessionProblems.BadRequest("The request needs a JSON body."));
        }
        try
        {
            // Strings that are not text come first: the duplicate-name check below would throw on them as a bug would.
            if (JsonStrings.FindInvalid(buffer.WrittenSpan) is { } invalid) return (null, SessionProblems.BadRequest(invalid));
            // Repeated member names are refused: stored values are merged later, and a merge needs distinct names.
            return (JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { AllowDuplicateProperties = false }), null);
        }
        catch (JsonException ex)
        {
            return (null, SessionProblems.BadRequest($"The body is not valid JSON: {ex.Message}"));
        }
    }

    /// <summary>The value as compact JSON text.</summary>
    public static string Compact(JsonElement element)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            element.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return false;
        var type = media.MediaType.Value ?? "";
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        SessionProblems.Problem(StatusCodes.Status413PayloadTooLarge, "body-too-large", "Request body too large", $"The body may be at most {maxBytes} bytes.");
}
