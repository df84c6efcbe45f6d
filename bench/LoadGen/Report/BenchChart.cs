using ScottPlot;
using SessionGrains.Bench.LoadGen.Scenarios;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>Throughput and latency per scenario and target as one PNG (ScottPlot, rendered headless with SkiaSharp).</summary>
public static class BenchChart
{
    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.Gray, Colors.SeaGreen, Colors.Purple];

    public static void Save(IReadOnlyList<ScenarioResult> results, string path)
    {
        var scenarios = results.Select(r => r.Scenario).Distinct().ToList();
        var targets = results.Select(r => r.Target).Distinct().ToList();

        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        Bars(multiplot.GetPlot(0), results, scenarios, targets, r => r.PerSecond, "Throughput (requests/s; fan-out: events/s)", "requests/s");
        Bars(multiplot.GetPlot(1), results, scenarios, targets, r => r.P50Ms, "Median latency (p50)", "ms");
        Bars(multiplot.GetPlot(2), results, scenarios, targets, r => r.P99Ms, "Tail latency (p99)", "ms");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        multiplot.SavePng(path, 1400, 1500);
    }

    private static void Bars(Plot plot, IReadOnlyList<ScenarioResult> results, List<string> scenarios, List<string> targets,
        Func<ScenarioResult, double> value, string title, string unit)
    {
        var width = 0.8 / targets.Count;
        var bars = new List<Bar>();
        for (var s = 0; s < scenarios.Count; s++)
        {
            for (var t = 0; t < targets.Count; t++)
            {
                var row = results.FirstOrDefault(r => r.Scenario == scenarios[s] && r.Target == targets[t]);
                if (row is null || double.IsNaN(value(row))) continue;
                bars.Add(new Bar
                {
                    Position = s + (t - (targets.Count - 1) / 2.0) * width,
                    Value = value(row),
                    Size = width * 0.95,
                    FillColor = Palette[t % Palette.Length],
                    Label = value(row) >= 100 ? value(row).ToString("N0") : value(row).ToString("0.0"),
                });
            }
        }
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 10;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, scenarios.Count).Select(i => (double)i).ToArray(), scenarios.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(title);
        plot.YLabel(unit);
        for (var t = 0; t < targets.Count; t++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = targets[t], FillColor = Palette[t % Palette.Length] });
        }
        // Outside the data area, so that no bar hides behind it.
        plot.ShowLegend(Edge.Right);
    }
}
