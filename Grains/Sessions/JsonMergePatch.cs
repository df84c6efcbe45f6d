using System.Text.Json.Nodes;

namespace SessionGrains.Grains;

/// <summary>RFC 7396 merge of one value: objects merge member by member, null removes, anything else replaces.</summary>
public static class JsonMergePatch
{
    /// <summary>The result of applying <paramref name="patch"/> to <paramref name="target"/> (JSON text, or null when absent).</summary>
    public static string Apply(string? target, JsonNode patch)
    {
        // Only an object merges into what is there; anything else replaces it, so the target need not be parsed.
        if (patch is not JsonObject) return patch.ToJsonString();
        var targetNode = target is null ? null : JsonNode.Parse(target);
        return Merge(targetNode, patch)?.ToJsonString() ?? "null";
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            var existing = result[name];
            var merged = Merge(existing, value);
            if (!ReferenceEquals(merged, existing)) result[name] = merged;
        }
        return result;
    }
}
