using Microsoft.Playwright;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// Headless Chromium driven by Playwright. The browser is Debian's package (<c>apt-get install chromium</c>, as
/// <c>.ci/run</c> does); Playwright's own browser download is never used, its .NET package brings its driver.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    // Headless in a container: no sandbox (root), no GPU, and none of the background traffic Chromium makes on its own.
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _chromium;

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        _playwright = playwright;
        _chromium = chromium;
    }

    /// <summary>Where screenshots go: <c>artifacts/screenshots/</c> at the repository root (ignored by git).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryPaths.Root, "artifacts", "screenshots");

    public static async Task<Browser> Launch()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Chromium not found at {ChromiumPath}: install Debian's package (apt-get install chromium), as .ci/run does.");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 60_000,
            });
            return new Browser(playwright, chromium);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh browser profile (its own cookies) whose relative URLs resolve against <paramref name="baseAddress"/>.</summary>
    public Task<IBrowserContext> NewContext(Uri baseAddress) =>
        _chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });

    /// <summary>Saves a full-page screenshot as <c>artifacts/screenshots/NAME</c> and returns its path.</summary>
    public static async Task<string> Screenshot(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
