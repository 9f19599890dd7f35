using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Crm.Tests.Admin;

/// <summary>
/// What every browser test does: a fresh browser context per test (1280×800 unless it opens another), signing in,
/// axe, screenshots, and failing the test on any console error or unexpected dialog (an alert would be an XSS).
/// </summary>
public abstract class AdminBrowserTest(AdminBrowser fixture) : IAsyncLifetime
{
    private readonly List<string> _dialogs = [];
    private IBrowserContext _context = null!;

    protected AdminBrowser Fixture { get; } = fixture;

    protected List<string> ConsoleErrors { get; } = [];

    protected IBrowserContext Context => _context;

    protected IPage Page { get; private set; } = null!;

    public async Task InitializeAsync() => await OpenAsync(1280, 800);

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        Assert.Empty(_dialogs);
        Assert.Empty(ConsoleErrors);
    }

    protected async Task OpenAsync(int width, int height)
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }

        _context = await Fixture.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        Page = await _context.NewPageAsync();
        Page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                ConsoleErrors.Add(message.Text);
            }
        };
        Page.PageError += (_, error) => ConsoleErrors.Add(error);
        Page.Dialog += async (_, dialog) =>
        {
            _dialogs.Add(dialog.Message);
            await dialog.DismissAsync();
        };
    }

    protected async Task SignInAsync(string hash = "#/", string email = AdminBrowser.AdminEmail, string password = AdminBrowser.AdminPassword)
    {
        await Page.GotoAsync(Url("/admin/" + hash));
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    protected async Task AssertAccessibleAsync(string what)
    {
        var result = await Page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"axe on the {what}: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target))}")));
    }

    /// <summary>Whether the page fits its window's width: nothing scrolls sideways.</summary>
    protected Task<bool> FitsTheScreenAsync() => Page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth");

    protected async Task ShotAsync(string name) =>
        await Page.ScreenshotAsync(new() { Path = Path.Combine(AdminBrowser.Artifacts, $"{name}.png") });

    protected string Url(string path) => new Uri(Fixture.Address, path).ToString();

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    protected static IPageAssertions Expect(IPage page) => Assertions.Expect(page);
}
