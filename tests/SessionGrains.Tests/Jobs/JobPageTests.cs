using System.Security.Cryptography;
using Microsoft.Playwright;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace SessionGrains.Tests.Jobs;

/// <summary>
/// The example page in headless Chromium against the local cluster: it starts a render, shows its progress and plays
/// the GIF as it streams, and keeps playing when the silo rendering it is killed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JobPageTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task The_page_plays_a_render_while_it_streams_and_across_a_SIGKILL_of_its_silo()
    {
        await using var browser = await Infrastructure.Browser.Launch();
        await using var context = await browser.NewContext(cluster.FrontEndUrls[0]);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(page.Locator("#socket-state")).ToHaveTextAsync("open", new() { Timeout = 15_000 });
        await page.Locator("#render-frames").FillAsync("100");
        await page.Locator("#render-form button").ClickAsync();
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("running", new() { Timeout = 15_000 });
        var video = page.Locator("#render-video");

        // Playing while it streams: what the image shows keeps changing.
        await WaitFor(async () => await Progress(page) >= 0.4, TimeSpan.FromSeconds(60), "40 % progress");
        Assert.True(await DistinctFrames(video, TimeSpan.FromSeconds(2)) >= 2, "the animation did not play while streaming");

        var silo = cluster.SiloNumberOf((await page.Locator("#job-silo").TextContentAsync())!);
        var progressAtKill = await Progress(page);
        await cluster.KillSilo(silo);
        output.WriteLine($"SIGKILL silo {silo} at {progressAtKill:P0}");
        try
        {
            // It goes on: the stream was not broken (no error, same src), frames keep changing, the job ends.
            await WaitFor(async () => await Progress(page) > progressAtKill + 0.1, TimeSpan.FromSeconds(60), "progress after the kill");
            var after = await DistinctFrames(video, TimeSpan.FromSeconds(2));
            output.WriteLine($"{after} distinct frames shown in 2 s after the resume; now on silo {await page.Locator("#job-silo").TextContentAsync()}");
            Assert.True(after >= 2, "the animation stopped after the kill");
            await Expect(page.Locator("#job-status")).ToHaveTextAsync("succeeded", new() { Timeout = 90_000 });
            await Expect(page.Locator("#job-percent")).ToHaveTextAsync("100 %");
            await WaitFor(async () => await video.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 240"), TimeSpan.FromSeconds(30), "the whole GIF");
            Assert.Equal("0", await video.GetAttributeAsync("data-errors"));
            Assert.NotEqual(silo.ToString(), cluster.SiloNumberOf((await page.Locator("#job-silo").TextContentAsync())!).ToString());
            Assert.NotEqual("0", await page.Locator("#job-resumes").TextContentAsync());
            await Infrastructure.Browser.Screenshot(page, "render-job.png");
        }
        finally
        {
            await cluster.StartSilo(silo);
        }
    }

    private static async Task<double> Progress(IPage page) => await page.Locator("#job-progress").EvaluateAsync<double>("p => p.value");

    /// <summary>How many different pictures the image showed, sampled every 100 ms for <paramref name="period"/>.</summary>
    private static async Task<int> DistinctFrames(ILocator image, TimeSpan period)
    {
        var seen = new HashSet<string>();
        var end = DateTime.UtcNow + period;
        while (DateTime.UtcNow < end)
        {
            seen.Add(Convert.ToHexString(SHA256.HashData(await image.ScreenshotAsync(new() { Animations = ScreenshotAnimations.Allow }))));
            await Task.Delay(100);
        }
        return seen.Count;
    }

    private static async Task WaitFor(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"no {what} within {timeout}");
            await Task.Delay(100);
        }
    }
}
