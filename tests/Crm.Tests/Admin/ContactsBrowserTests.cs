using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Crm.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Crm.Tests.Admin;

/// <summary>The admin page's contacts section in a real browser: the form, the filtered list and its export, the CSV import.</summary>
[Collection(nameof(AdminBrowserCollection))]
public sealed class ContactsBrowserTests(AdminBrowser fixture) : AdminBrowserTest(fixture)
{
    [Fact]
    public async Task AContactIsCreatedAfterItsEmailIsFixedThenEditedAndDeleted()
    {
        var phone = AdminBrowser.NewPhone();
        var last = $"Formcheck{Guid.NewGuid():N}"[..18];
        await SignInAsync("#/contacts/new");

        await Page.GetByLabel("First name").FillAsync("Cora");
        await Page.GetByLabel("Last name").FillAsync(last);
        await Page.GetByLabel("Phone").FillAsync(phone);
        await Page.GetByLabel("Email").FillAsync("cora-at-example");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create contact" }).ClickAsync();

        var email = Page.GetByLabel("Email");
        await Expect(email).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(Page.Locator("#cf-email-error")).ToContainTextAsync("not a valid email address");
        await Expect(Page.GetByLabel("Phone")).ToHaveAttributeAsync("aria-invalid", "false");
        Assert.Equal(0, await CountByPhoneAsync(phone));
        await AssertAccessibleAsync("new contact form with an error");

        await email.FillAsync("cora@example.com");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create contact" }).ClickAsync();
        await Expect(Page.Locator("#contact-title")).ToHaveTextAsync($"Cora {last}");
        await Expect(Page).ToHaveURLAsync(new Regex("#/contacts/[^/]+$"));
        await Expect(Page.Locator(".facts")).ToContainTextAsync("cora@example.com");
        Assert.Equal(1, await CountByPhoneAsync(phone));

        await Page.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Page.GetByLabel("First name").FillAsync("Corinne");
        await Page.GetByLabel("Tags").FillAsync("driveway, vip");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(Page.Locator("#contact-title")).ToHaveTextAsync($"Corinne {last}");
        await Page.GetByLabel("What they said").SelectOptionAsync("OPTED_OUT");
        await Page.GetByLabel("How you know").FillAsync("Asked us on the phone to stop");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Record consent" }).ClickAsync();
        await Expect(Page.Locator(".history li").First).ToContainTextAsync("Opted out");
        await Expect(Page.Locator(".history li").First).ToContainTextAsync("Asked us on the phone to stop");
        await ShotAsync("contact");
        await AssertAccessibleAsync("contact page");

        await Page.GotoAsync(Url($"/admin/#/contacts?q={last}"));
        var row = Page.Locator(".contacts-table tbody tr", new() { HasText = last });
        await Expect(row).ToContainTextAsync($"Corinne {last}");
        await Expect(row.Locator(".tags")).ToContainTextAsync("vip");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToContainTextAsync($"Delete Corinne {last}?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("#/contacts$"));
        Assert.Equal(0, await CountByPhoneAsync(phone));
    }

    [Fact]
    public async Task TheListFiltersByATagSortsByNameKeepsBothInTheUrlAndExportsWhatItShows()
    {
        var tag = $"filter-{Guid.NewGuid():N}"[..15];
        foreach (var last in new[] { "Bravo", "Alpha", "Charlie" })
        {
            await Fixture.CreateContactAsync("Fil", $"{last}{tag}", AdminBrowser.NewPhone(), tag);
        }

        await Fixture.CreateContactAsync("Fil", $"Untagged{tag}", AdminBrowser.NewPhone(), "other");
        await SignInAsync("#/contacts");
        await Page.GetByLabel("Tags (any of, comma-separated)").FillAsync(tag);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter", Exact = true }).ClickAsync();

        var rows = Page.Locator(".contacts-table tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(Page.Locator(".count")).ToHaveTextAsync("3 contacts");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Name", Exact = true }).ClickAsync();
        await Expect(Page.Locator("th[aria-sort='ascending']")).ToContainTextAsync("Name");
        await Expect(rows.First).ToContainTextAsync($"Alpha{tag}");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Name", Exact = true }).ClickAsync();
        await Expect(rows.First).ToContainTextAsync($"Charlie{tag}");

        await Page.ReloadAsync();
        await Expect(Page).ToHaveURLAsync(new Regex($"tag={tag}.*sort=name%3Adesc"));
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.First).ToContainTextAsync($"Charlie{tag}");
        await Expect(Page.Locator("th[aria-sort='descending']")).ToContainTextAsync("Name");
        await ShotAsync("contacts");
        await AssertAccessibleAsync("contacts list");

        // None of them has a conversation; a text in gives one its own.
        await Page.GotoAsync(Url($"/admin/#/contacts?tag={tag}&conversation=no&from={DateTime.Now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}&sort=name:desc"));
        await Expect(rows).ToHaveCountAsync(3);
        await Page.GotoAsync(Url($"/admin/#/contacts?tag={tag}&conversation=yes&sort=name:desc"));
        await Expect(Page.Locator(".count")).ToHaveTextAsync("0 contacts");
        await Page.GotoAsync(Url($"/admin/#/contacts?tag={tag}&sort=name:desc"));
        await Expect(rows).ToHaveCountAsync(3);

        var href = await Page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).GetAttributeAsync("href");
        var export = await Context.APIRequest.GetAsync(Url(href!));
        Assert.Equal(200, export.Status);
        var csv = await export.TextAsync();
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains($"Charlie{tag}", lines[1], StringComparison.Ordinal);
        Assert.Contains($"Alpha{tag}", lines[3], StringComparison.Ordinal);
        Assert.DoesNotContain($"Untagged{tag}", csv, StringComparison.Ordinal);

        await Page.SetViewportSizeAsync(360, 740);
        await Expect(rows).ToHaveCountAsync(3);
        await ShotAsync("contacts-360");
        Assert.True(await FitsTheScreenAsync(), "The contacts list scrolls sideways at 360 px");

        // A viewer reads the same list and contact, with nothing to create, change, import or export.
        var (viewer, password) = await NewViewerAsync();
        await OpenAsync(1280, 800);
        await SignInAsync($"#/contacts?tag={tag}", viewer, password);
        rows = Page.Locator(".contacts-table tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        foreach (var link in new[] { "New contact", "Import CSV", "Download CSV" })
        {
            await Expect(Page.GetByRole(AriaRole.Link, new() { Name = link })).ToHaveCountAsync(0);
        }

        await rows.First.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Page.Locator("#contact-title")).ToHaveTextAsync($"Fil Charlie{tag}");
        await Expect(Page.Locator(".page button")).ToHaveCountAsync(0);
        await Expect(Page.Locator(".page form")).ToHaveCountAsync(0);
    }

    private async Task<(string Email, string Password)> NewViewerAsync()
    {
        const string Password = "Viewer-Password-2024";
        var email = $"viewer{Guid.NewGuid():N}@example.com";
        var invite = await Fixture.Api.DataAsync(
            "mutation($input: InviteUserInput!) { inviteUser(input: $input) { inviteLink errors { __typename } } }",
            new { input = new { email, role = "VIEWER" } });
        var token = invite["inviteUser"]!["inviteLink"]!.GetValue<string>().Split("token=")[1];
        using var anonymous = new HttpClient { BaseAddress = Fixture.Address };
        var accepted = await new GraphQLClient(anonymous).DataAsync(
            "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { errors { __typename } } }",
            new { input = new { token = Uri.UnescapeDataString(token), password = Password, displayName = "Vi Viewer" } });
        Assert.Null(accepted["acceptInvitation"]!["errors"]);
        return (email, Password);
    }

    [Fact]
    public async Task ACsvImportGoesThroughMappingADryRunAndTheRunToAReportNamingTheBadRow()
    {
        var tag = $"import-{Guid.NewGuid():N}"[..15];
        var phones = new[] { AdminBrowser.NewPhone(), AdminBrowser.NewPhone(), AdminBrowser.NewPhone() };
        var csv = new StringBuilder("First Name,Surname,Cell,Nickname,Tags\n");
        for (var i = 0; i < phones.Length; i++)
        {
            csv.Append(FormattableString.Invariant($"Imp{i},Ported{tag},{phones[i]},nick{i},{tag}\n"));
        }

        csv.Append(FormattableString.Invariant($"Bad,Row{tag},12345,nick,{tag}\n"));
        await SignInAsync("#/contacts");
        await Page.GetByRole(AriaRole.Link, new() { Name = "Import CSV" }).ClickAsync();

        await Page.GetByLabel("CSV file").SetInputFilesAsync(new FilePayload { Name = "owners.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ToString()) });
        await Expect(Page.Locator(".preview tbody tr")).ToHaveCountAsync(4);
        await Expect(Page.Locator(".preview thead")).ToContainTextAsync("Nickname");
        await Expect(Page.GetByLabel("Cell")).ToHaveValueAsync("phone");
        await Expect(Page.GetByLabel("Surname")).ToHaveValueAsync("lastName");
        await Expect(Page.GetByLabel("Nickname")).ToHaveValueAsync("custom");
        await Page.GetByLabel("Nickname").SelectOptionAsync("ignore");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();

        await Expect(Page.Locator("[data-outcome='CREATED']")).ToHaveTextAsync("3", new() { Timeout = 30_000 });
        await Expect(Page.Locator("[data-outcome='REJECTED']")).ToHaveTextAsync("1");
        await Expect(Page.Locator(".rejected")).ToContainTextAsync("Row 5");
        Assert.Equal(0, await CountByTagAsync(tag));
        await AssertAccessibleAsync("import dry run");

        await Page.GetByRole(AriaRole.Button, new() { Name = "Import owners.csv" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Import finished" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(Page.Locator("[data-outcome='CREATED']")).ToHaveTextAsync("3");
        await Expect(Page.Locator("progress")).ToHaveCountAsync(0);
        Assert.Equal(3, await CountByTagAsync(tag));
        var imported = await Fixture.Api.DataAsync(
            "query($where: ContactFilterInput) { contacts(where: $where) { nodes { customFields { key } } } }",
            new { where = new { tags = new { some = new { eq = tag } } } });
        Assert.All(imported["contacts"]!["nodes"]!.AsArray(), c => Assert.Empty(c!["customFields"]!.AsArray()));
        await ShotAsync("contact-import");
        await AssertAccessibleAsync("import finished");

        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByRole(AriaRole.Link, new() { Name = "Download report" }).ClickAsync());
        var report = await File.ReadAllTextAsync((await download.PathAsync())!);
        var bad = report.Split('\n').Single(l => l.StartsWith("5,", StringComparison.Ordinal));
        Assert.Contains("REJECTED", bad, StringComparison.Ordinal);
        Assert.Contains("No phone number of the row is a possible phone number.", bad, StringComparison.Ordinal);
    }

    private async Task<int> CountByPhoneAsync(string phone) =>
        (await Fixture.Api.DataAsync("query($where: ContactFilterInput) { contacts(where: $where) { totalCount } }", new { where = new { phone = new { eq = phone } } }))
            ["contacts"]!["totalCount"]!.GetValue<int>();

    private async Task<int> CountByTagAsync(string tag) =>
        (await Fixture.Api.DataAsync("query($where: ContactFilterInput) { contacts(where: $where) { totalCount } }", new { where = new { tags = new { some = new { eq = tag } } } }))
            ["contacts"]!["totalCount"]!.GetValue<int>();
}
