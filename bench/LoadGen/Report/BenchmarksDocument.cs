namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>Rewrites the generated parts of docs/BENCHMARKS.md, each between <c>&lt;!-- bench:NAME:begin --&gt;</c> and <c>…:end --&gt;</c>.</summary>
public static class BenchmarksDocument
{
    public static void Replace(string path, string name, string content)
    {
        var begin = $"<!-- bench:{name}:begin -->";
        var end = $"<!-- bench:{name}:end -->";
        var text = File.ReadAllText(path);
        var from = text.IndexOf(begin, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        if (from < 0 || to < from) throw new InvalidOperationException($"{path} has no {begin} … {end} section");
        text = text[..(from + begin.Length)] + "\n" + content.TrimEnd() + "\n" + text[to..];
        File.WriteAllText(path, text);
    }
}
