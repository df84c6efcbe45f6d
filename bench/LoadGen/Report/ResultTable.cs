using System.Globalization;
using System.Text;
using SessionGrains.Bench.LoadGen.Scenarios;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>The results as a Markdown table, each figure with its ratio to the baseline's figure for the same scenario.</summary>
public static class ResultTable
{
    public const string BaselineKey = "baseline";

    public static string Markdown(IReadOnlyList<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | target | requests/s | × baseline | p50 ms | × baseline | p99 ms | × baseline | errors | lost updates |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in results)
        {
            var baseline = results.FirstOrDefault(r => r.Target == BaselineKey && r.Scenario == row.Scenario);
            text.AppendLine(string.Join(" | ",
                "| " + row.Scenario,
                row.Target,
                Number(row.PerSecond, "N0"),
                Ratio(row.PerSecond, baseline?.PerSecond),
                Number(row.P50Ms, "N2"),
                Ratio(row.P50Ms, baseline?.P50Ms),
                Number(row.P99Ms, "N2"),
                Ratio(row.P99Ms, baseline?.P99Ms),
                row.Errors.ToString("N0", CultureInfo.InvariantCulture),
                LostUpdates(row)) + " |");
        }
        return text.ToString();
    }

    private static string LostUpdates(ScenarioResult row) =>
        row.LostUpdates is { } lost && row.Acknowledged is { } acked
            ? string.Create(CultureInfo.InvariantCulture, $"{lost:N0} of {acked:N0} ({(acked == 0 ? 0 : 100.0 * lost / acked):N1} %)")
            : "";

    private static string Number(double value, string format) => double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Ratio(double value, double? baseline) =>
        baseline is { } b && b > 0 && !double.IsNaN(value) && !double.IsNaN(b)
            ? (value / b).ToString("0.00", CultureInfo.InvariantCulture) + "×"
            : "n/a";
}
