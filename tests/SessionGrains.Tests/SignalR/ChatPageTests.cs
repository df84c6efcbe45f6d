using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// The example chat page (Client/wwwroot/chat.html with @microsoft/signalr and the resume helper) in headless Chromium,
/// through nginx round robin over the cluster's two front ends.
/// </summary>
[Collection(SignalRCollection.Name)]
public sealed class ChatPageTests(SignalRCluster fixture)
{
    private static readonly float Live = 10_000;

    [Fact]
    public async Task Two_browsers_chat_and_a_page_that_comes_back_gets_what_it_missed_without_joining_again()
    {
        // The page's SignalR client, installed from Client/wwwroot/lib's lock file on first use (as README says for people).
        await SignalRScript.BrowserBuild();
        await using var browser = await Infrastructure.Browser.Launch();
        var alice = await (await browser.NewContext(fixture.GrainsBalancer.BaseAddress)).NewPageAsync();
        var bob = await (await browser.NewContext(fixture.GrainsBalancer.BaseAddress)).NewPageAsync();
        foreach (var page in new[] { alice, bob })
        {
            await page.GotoAsync("/chat.html");
            await Expect(page.Locator("#chat-state")).ToHaveTextAsync("connected", new() { Timeout = Live });
            await page.Locator("#join-form button").ClickAsync();
            await Expect(page.Locator("#messages")).ToContainTextAsync("joined lobby", new() { Timeout = Live });
        }

        await Say(alice, "hello bob");
        await Expect(bob.Locator("#messages")).ToContainTextAsync("hello bob", new() { Timeout = Live });

        // Bob leaves the page; the tab keeps his resume point (sessionStorage) and his session keeps him in the room.
        await bob.GotoAsync("about:blank");
        await Say(alice, "while you were away");
        await bob.GoBackAsync();
        await Expect(bob.Locator("#chat-state")).ToHaveTextAsync("connected", new() { Timeout = Live });
        await Expect(bob.Locator("#messages")).ToContainTextAsync("while you were away", new() { Timeout = Live });
        await Expect(bob.Locator("#messages li", new() { HasText = "while you were away" })).ToHaveCountAsync(1);
        await Infrastructure.Browser.Screenshot(bob, "chat.png");
    }

    private static async Task Say(IPage page, string text)
    {
        await page.Locator("#text").FillAsync(text);
        await page.Locator("#say-form button").ClickAsync();
        await Expect(page.Locator("#messages")).ToContainTextAsync(text, new() { Timeout = Live });
    }
}
