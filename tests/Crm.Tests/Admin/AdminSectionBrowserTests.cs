using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;

namespace Crm.Tests.Admin;

/// <summary>The dashboard and the admin tools in the browser: what an owner does there, checked through the API too.</summary>
[Collection(nameof(AdminBrowserCollection))]
public sealed class AdminSectionBrowserTests(AdminBrowser fixture) : AdminBrowserTest(fixture)
{
    [Fact]
    public async Task TheDashboardShowsTheNumbersAndTheTextsPerDayChart()
    {
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Dana", "Dashboard", phone);
        await Fixture.TextInAsync(phone, "Is Thursday still good?");
        await SignInAsync("#/dashboard");

        var textsIn = Page.GetByRole(AriaRole.Row, new() { Name = "Texts in" });
        await Expect(textsIn).ToBeVisibleAsync();
        // Today's column: this test's text at least (the events it published dropped the cached numbers).
        Assert.True(int.Parse(await textsIn.Locator("td .value").First.InnerTextAsync(), System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await Expect(Page.Locator(".day-chart svg rect.in")).ToHaveCountAsync(30);
        await Expect(Page.GetByRole(AriaRole.Img, new() { Name = "Texts per day over the last 30 days" })).ToBeVisibleAsync();
        await AssertAccessibleAsync("dashboard");
        await ShotAsync("dashboard");

        // At phone width, the dashboard and the widest admin table stay within the screen.
        await OpenAsync(360, 740);
        await SignInAsync("#/dashboard");
        await Expect(Page.GetByRole(AriaRole.Row, new() { Name = "Texts in" })).ToBeVisibleAsync();
        Assert.True(await FitsTheScreenAsync(), "The dashboard scrolls sideways at 360 px");
        await Page.GotoAsync(Url("/admin/#/admin/webhooks"));
        await Expect(Page.Locator("tbody tr").First).ToBeVisibleAsync();
        Assert.True(await FitsTheScreenAsync(), "The webhook log scrolls sideways at 360 px");
    }

    [Fact]
    public async Task AnAdminMakesAKeyThatIsShownOnceAndRevokesItAndInvitesSomeone()
    {
        await SignInAsync("#/admin/keys");
        var name = $"Website form {Guid.NewGuid():N}"[..24];
        await Page.GetByLabel("What it is for").FillAsync(name);
        await Page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("MARKETER");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = await Page.Locator(".secret-value").InnerTextAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusWithKeyAsync(secret));
        await AssertAccessibleAsync("API keys");
        await ShotAsync("admin-keys");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(Page.Locator(".secret")).ToHaveCountAsync(0);
        var row = Page.GetByRole(AriaRole.Row, new() { Name = name });
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alertdialog)).ToContainTextAsync("cannot be undone");
        await Page.GetByRole(AriaRole.Alertdialog).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithKeyAsync(secret));

        await Page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await Page.GetByLabel("Action").FillAsync("apikey.revoked");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Row, new() { Name = name }).First).ToContainTextAsync("apikey.revoked");

        await Page.GetByRole(AriaRole.Link, new() { Name = "Staff" }).ClickAsync();
        var email = $"marketer{Guid.NewGuid():N}@example.com";
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("MARKETER");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        await Expect(Page.Locator(".secret")).ToContainTextAsync(email);
        Assert.Contains("#/accept-invitation?token=", await Page.Locator(".secret-value").InnerTextAsync(), StringComparison.Ordinal);
        await AssertAccessibleAsync("staff");
    }

    [Fact]
    public async Task AnAdminDecidesAnOptOutReviewAndReplaysAWebhook()
    {
        var phone = AdminBrowser.NewPhone();
        var contactId = await Fixture.CreateContactAsync("Wren", "Wrongnumber", phone);
        await Fixture.TextInAsync(phone, "Wrong number");
        // The review is made with the text, after the 200, and this page does not follow new ones live.
        await Fixture.ConversationOfAsync(phone);
        await SignInAsync("#/admin/opt-outs");

        var review = Page.Locator(".review", new() { HasText = "Wren Wrongnumber" });
        await Expect(review).ToContainTextAsync("Wrong number");
        await AssertAccessibleAsync("opt-out reviews");
        await review.GetByRole(AriaRole.Button, new() { Name = "Opt out" }).ClickAsync();
        await Expect(Page.Locator(".notice")).ToContainTextAsync("Wren Wrongnumber is opted out");
        await Expect(review).ToHaveCountAsync(0);
        var contact = await Fixture.Api.DataAsync("query($id: ID!) { contact(id: $id) { smsConsent { status } } }", new { id = contactId });
        Assert.Equal("OPTED_OUT", contact["contact"]!["smsConsent"]!["status"]!.GetValue<string>());

        await Page.GetByRole(AriaRole.Link, new() { Name = "Webhook log" }).ClickAsync();
        await Page.GetByLabel("Type").FillAsync("message.received");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("type=message.received"));
        var first = Page.Locator("tbody tr").First;
        await Expect(first).ToContainTextAsync("message.received");
        await AssertAccessibleAsync("webhook log");
        await ShotAsync("admin-webhooks");
        await first.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Expect(Page.Locator(".notice")).ToContainTextAsync("queued again");
    }

    private async Task<HttpStatusCode> StatusWithKeyAsync(string key)
    {
        using var http = new HttpClient { BaseAddress = Fixture.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent("""{"query":"{ me { role } }"}""", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
