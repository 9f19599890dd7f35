using System.Globalization;
using Microsoft.Playwright;

namespace Crm.Tests.Admin;

/// <summary>The campaigns page end to end: building one, launching it against the simulator, and its live progress.</summary>
[Collection(nameof(AdminBrowserCollection))]
public sealed class CampaignsBrowserTests(AdminBrowser fixture) : AdminBrowserTest(fixture)
{
    [Fact]
    public async Task ACampaignBuiltInThePageSendsPausesResumesAndDuplicates()
    {
        var tag = "spring-" + Guid.NewGuid().ToString("N")[..8];
        var name = $"Spring check {tag}";
        // The server keeps real time: the recipients live where it is early afternoon, so quiet hours hold nothing back.
        var zone = AfternoonZone();
        foreach (var last in new[] { "Ash", "Birch", "Cedar" })
        {
            await CreateContactAsync("Casey", last, AdminBrowser.NewPhone(), zone, tag);
        }

        // The server learns of its line from OpenPhone's first webhook.
        await Fixture.TextInAsync(AdminBrowser.NewPhone(), "Hello?");

        await SignInAsync("#/campaigns/new");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await Page.GetByLabel("Tags").FillAsync(tag);
        // None of them has consent on record until the sender attests it.
        await Expect(Page.Locator(".audience-count")).ToContainTextAsync("0 of 3 contacts");
        await Expect(Page.Locator(".excluded")).ToContainTextAsync("No consent on record: 3");
        await Page.GetByLabel("I attest").CheckAsync();
        await Expect(Page.Locator(".audience-count")).ToContainTextAsync("3 of 3 contacts");

        var body = Page.GetByLabel("Text of variant A");
        await body.FillAsync("Hi ");
        await Page.GetByRole(AriaRole.Group, new() { Name = "Insert a variable into variant A" }).GetByRole(AriaRole.Button, new() { Name = "{firstName}" }).ClickAsync();
        await body.PressSequentiallyAsync(", free crack check this week?");
        await Expect(body).ToHaveValueAsync("Hi {firstName}, free crack check this week?");
        await Expect(Page.Locator(".preview-text")).ToContainTextAsync("Hi Casey, free crack check this week?");
        await Expect(Page.Locator(".estimate")).ToContainTextAsync("Across 3 contacts");

        // A short window that closes soon spreads the day's cap over minutes, so the texts go seconds apart.
        var business = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));
        var end = business.TimeOfDay < TimeSpan.FromHours(23.8) ? business.AddMinutes(5).ToString("HH:mm", CultureInfo.InvariantCulture) : "23:59";
        await Page.GetByLabel("Texts a minute, at most").FillAsync("60");
        await Page.GetByLabel("Sends from", new() { Exact = true }).FillAsync("00:00");
        await Page.GetByLabel("Until", new() { Exact = true }).FillAsync(end);
        await Page.GetByLabel("Sat").CheckAsync();
        await Page.GetByLabel("Sun").CheckAsync();
        await AssertAccessibleAsync("campaign builder");
        await ShotAsync("campaign-builder");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true })).ToBeVisibleAsync();
        var state = Page.Locator(".page-head .campaign-status");
        await Expect(state).ToHaveTextAsync("Draft");
        await Expect(Page.Locator(".settings")).ToContainTextAsync($"contacts tagged {tag}");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Start now" }).ClickAsync();
        await Page.GetByRole(AriaRole.Alertdialog).GetByRole(AriaRole.Button, new() { Name = "Start now" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("Running");
        await Expect(Page.Locator("[data-count='audience']")).ToHaveTextAsync("3");
        await Expect(Page.Locator("[data-count='sent']")).Not.ToHaveTextAsync("0", new() { Timeout = 40_000 });

        await Page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("Paused");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(state).Not.ToHaveTextAsync("Paused");
        await Expect(Page.Locator("[data-count='delivered']")).ToHaveTextAsync("3", new() { Timeout = 60_000 });
        await Expect(Page.Locator("#campaign-chart canvas")).ToBeVisibleAsync();
        await AssertAccessibleAsync("campaign page");
        await ShotAsync("campaign");
        await AssertFitsAPhoneAsync();

        await Page.GetByRole(AriaRole.Button, new() { Name = "Duplicate" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = $"{name} (copy)", Exact = true })).ToBeVisibleAsync();
        await Expect(state).ToHaveTextAsync("Draft");

        await Page.GotoAsync(Url("/admin/#/campaigns"));
        var row = Page.Locator("tr", new() { Has = Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });
        await Expect(row).ToContainTextAsync("3 sent, 3 delivered of 3");
        await Page.GetByLabel("Status").SelectOptionAsync("DRAFT");
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = $"{name} (copy)", Exact = true })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
        await AssertAccessibleAsync("campaigns list");
        await ShotAsync("campaigns");
        await AssertFitsAPhoneAsync();
    }

    [Fact]
    public async Task TheBuilderShowsTheServersValidationErrorsOnTheirFields()
    {
        await SignInAsync("#/campaigns/new");
        var save = Page.GetByRole(AriaRole.Button, new() { Name = "Save draft" });
        await Page.GetByLabel("Text of variant A").FillAsync("Hello {firstName|there}");
        await save.ClickAsync();
        var name = Page.GetByLabel("Name", new() { Exact = true });
        await Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Page.Locator("#name-error")).ToContainTextAsync("needs a name");

        await name.FillAsync("No text yet " + Guid.NewGuid().ToString("N")[..6]);
        await Page.GetByLabel("Text of variant A").FillAsync("");
        await save.ClickAsync();
        await Expect(Page.Locator("#variant-0-body-error")).ToContainTextAsync("has no text");
        await Expect(Page.GetByLabel("Text of variant A")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Page.Locator("#name-error")).ToHaveCountAsync(0);
        await AssertAccessibleAsync("campaign builder with errors");

        // Fixed, it saves; its draft edits back into the builder and schedules in a chosen zone.
        await Page.GetByLabel("Text of variant A").FillAsync("Hello {firstName|there}");
        await Page.GetByLabel("Tags").FillAsync("nobody-" + Guid.NewGuid().ToString("N")[..6]);
        await save.ClickAsync();
        await Expect(Page.Locator(".page-head .campaign-status")).ToHaveTextAsync("Draft");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Edit or schedule" }).ClickAsync();
        await Expect(Page.GetByLabel("Text of variant A")).ToHaveValueAsync("Hello {firstName|there}");
        await Page.GetByLabel("At a date and time").CheckAsync();
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await Page.GetByLabel("Starts at").FillAsync($"{yesterday}T10:00");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save and schedule" }).ClickAsync();
        await Expect(Page.Locator("#startLocal-error")).ToContainTextAsync("has passed");
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await Page.GetByLabel("Starts at").FillAsync($"{tomorrow}T10:00");
        await Page.GetByLabel("Time zone").SelectOptionAsync("America/Chicago");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save and schedule" }).ClickAsync();
        await Expect(Page.Locator(".page-head .campaign-status")).ToHaveTextAsync("Scheduled");
        await Expect(Page.Locator(".settings")).ToContainTextAsync("(America/Chicago)");
    }

    [Fact]
    public async Task AViewerReadsACampaignWhoseHostileNameRendersLiterallyAndGetsNoControls()
    {
        var name = "<img src=x onerror=alert(1)> " + Guid.NewGuid().ToString("N")[..6];
        var created = await Fixture.Api.DataAsync(
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } errors { __typename } } }",
            new { input = new { name, variants = new[] { new { body = "Hi {firstName|there} <b>" } } } });
        var id = created["createCampaign"]!["campaign"]!["id"]!.GetValue<string>();
        var email = $"viewer{Guid.NewGuid():N}@example.com";
        var invite = await Fixture.Api.DataAsync(
            "mutation($input: InviteUserInput!) { inviteUser(input: $input) { inviteLink errors { __typename } } }",
            new { input = new { email, role = "VIEWER" } });

        await Page.GotoAsync(Url(invite["inviteUser"]!["inviteLink"]!.GetValue<string>()));
        await Page.GetByLabel("Your name").FillAsync("Cam Viewer");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("Viewer-Password-2024");
        await Page.GetByLabel("Password again").FillAsync("Viewer-Password-2024");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create my account" }).ClickAsync();
        await Expect(Page.Locator(".top .me")).ToContainTextAsync("Cam Viewer");

        await Page.GotoAsync(Url($"/admin/#/campaigns/{Uri.EscapeDataString(id)}"));
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true })).ToBeVisibleAsync();
        await Expect(Page.Locator(".campaign .body")).ToHaveTextAsync("Hi {firstName|there} <b>");
        await Expect(Page.Locator(".campaign-actions")).ToHaveCountAsync(0);
        await Page.GotoAsync(Url("/admin/#/campaigns"));
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToBeVisibleAsync();
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "New campaign" })).ToHaveCountAsync(0);
        await Page.GotoAsync(Url("/admin/#/campaigns/new"));
        await Expect(Page.Locator(".campaigns")).ToContainTextAsync("Your role reads campaigns");
        await Expect(Page.Locator("form")).ToHaveCountAsync(0);
    }

    private async Task AssertFitsAPhoneAsync()
    {
        await Page.SetViewportSizeAsync(360, 740);
        await Page.WaitForFunctionAsync("document.documentElement.scrollWidth <= innerWidth");
        await Page.SetViewportSizeAsync(1280, 800);
    }

    /// <summary>A fixed-offset zone where it is about 13:00 now.</summary>
    private static string AfternoonZone()
    {
        var offset = 13 - DateTimeOffset.UtcNow.Hour;
        offset = offset > 14 ? offset - 24 : offset < -12 ? offset + 24 : offset;
        // POSIX-style names: Etc/GMT+5 is five hours behind UTC.
        return offset switch
        {
            0 => "Etc/GMT",
            > 0 => string.Create(CultureInfo.InvariantCulture, $"Etc/GMT-{offset}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"Etc/GMT+{-offset}"),
        };
    }

    private async Task CreateContactAsync(string firstName, string lastName, string phone, string timeZone, string tag)
    {
        var data = await Fixture.Api.DataAsync(
            "mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } errors { __typename ... on Error { message } } } }",
            new { input = new { firstName, lastName, phone, timeZone, tags = new[] { tag } } });
        Assert.Null(data["createContact"]!["errors"]);
    }
}
