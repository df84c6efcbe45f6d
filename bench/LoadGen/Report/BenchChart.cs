using ScottPlot;
using SessionGrains.Bench.LoadGen.Scenarios;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>
/// Throughput and latency per scenario and target as one PNG, CPU time per request as another (ScottPlot,
/// rendered headless with SkiaSharp).
/// </summary>
public static class BenchChart
{
    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.Gray, Colors.SeaGreen, Colors.Purple, Colors.Brown];

    private static readonly Color[] KindPalette = [Colors.SteelBlue, Colors.SeaGreen, Colors.IndianRed, Colors.Orange, Colors.SlateGray];

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

    /// <summary>
    /// CPU per request: of the system under test and of the load generator per scenario and target, then where the
    /// CPU of a read and of a write goes, stacked by kind of process (front end, silo, redis, app).
    /// </summary>
    public static void SaveCpu(IReadOnlyList<ScenarioResult> results, string path)
    {
        var scenarios = results.Select(r => r.Scenario).Distinct().ToList();
        var targets = results.Select(r => r.Target).Distinct().ToList();
        var stacked = new[] { "read", "write" }.Where(scenarios.Contains).ToList();

        var multiplot = new Multiplot();
        multiplot.AddPlots(2 + stacked.Count);
        Bars(multiplot.GetPlot(0), results, scenarios, targets, r => r.SutCpuUsPerRequest, "CPU time of the system under test per request (all its processes; fan-out: per event)", "µs / request");
        Bars(multiplot.GetPlot(1), results, scenarios, targets, r => r.LoadGenCpuUsPerRequest, "CPU time of the load generator per request (pinned to its own CPU; not in the figure above)", "µs / request");
        for (var i = 0; i < stacked.Count; i++)
        {
            ByKind(multiplot.GetPlot(2 + i), results.Where(r => r.Scenario == stacked[i]).ToList(), $"Where the CPU of one {stacked[i]} goes, by kind of process");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        multiplot.SavePng(path, 1400, 500 * (2 + stacked.Count));
    }

    private static void ByKind(Plot plot, IReadOnlyList<ScenarioResult> rows, string title)
    {
        var kinds = rows.SelectMany(r => r.Processes).Select(p => p.Role).Distinct().ToList();
        var bars = new List<Bar>();
        for (var t = 0; t < rows.Count; t++)
        {
            var bottom = 0.0;
            foreach (var (kind, k) in kinds.Select((kind, k) => (kind, k)))
            {
                var value = rows[t].Processes.Where(p => p.Role == kind).Sum(p => p.UsPerRequest);
                if (double.IsNaN(value) || value <= 0) continue;
                bars.Add(new Bar { Position = t, ValueBase = bottom, Value = bottom + value, Size = 0.6, FillColor = KindPalette[k % KindPalette.Length] });
                bottom += value;
            }
            // The total above the topmost part.
            if (bottom > 0) bars[^1].Label = bottom.ToString("N0");
        }
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray(), rows.Select(r => r.Target).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Title(title);
        plot.YLabel("µs / request");
        for (var k = 0; k < kinds.Count; k++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = kinds[k], FillColor = KindPalette[k % KindPalette.Length] });
        }
        plot.ShowLegend(Edge.Right);
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
                if (row is null || !double.IsFinite(value(row))) continue;
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
