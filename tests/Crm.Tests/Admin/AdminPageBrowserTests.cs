using System.Diagnostics;
using Microsoft.Playwright;

namespace Crm.Tests.Admin;

/// <summary>The admin page end to end in a real browser, against a real server process, as staff use it.</summary>
[Collection(nameof(AdminBrowserCollection))]
public sealed class AdminPageBrowserTests(AdminBrowser fixture) : AdminBrowserTest(fixture)
{
    [Fact]
    public async Task SignInShowsTheInboxAndItsFirstPaintIsUnderOneSecond()
    {
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Paula", "Firstpaint", phone);
        await Fixture.TextInAsync(phone, "Can you look at my driveway?");

        await Page.GotoAsync(Url("/admin/"));
        await Page.GetByLabel("Email").FillAsync(AdminBrowser.AdminEmail);
        await Page.GetByLabel("Password").FillAsync(AdminBrowser.AdminPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.Locator(".row", new() { HasText = "Paula Firstpaint" })).ToBeVisibleAsync();

        // Signed in: a fresh load of the inbox, from navigation to its first row on screen.
        var clock = Stopwatch.StartNew();
        await Page.GotoAsync(Url("/admin/?fresh=1#/"), new() { WaitUntil = WaitUntilState.Commit });
        await Page.Locator(".row").First.WaitForAsync();
        clock.Stop();
        await ShotAsync("inbox");

        Assert.True(clock.ElapsedMilliseconds < 1000, $"First inbox paint took {clock.ElapsedMilliseconds} ms");
        await Expect(Page.Locator(".row", new() { HasText = "Paula Firstpaint" })).ToContainTextAsync("Can you look at my driveway?");
    }

    /// <summary>1001 (a server going away) is retried by the client; 1011 it counts as fatal, and the page starts over.</summary>
    [Theory]
    [InlineData(1001)]
    [InlineData(1011)]
    public async Task ATextThatArrivesWhileTheSocketIsDownAppearsOnceItReconnects(int closeCode)
    {
        // Every WebSocket the page opens goes through here: the first is cut, the second held until the text is in.
        var sockets = new List<IWebSocketRoute>();
        var textIsIn = new TaskCompletionSource();
        await Page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/graphql$"), async socket =>
        {
            lock (sockets)
            {
                sockets.Add(socket);
            }

            if (sockets.Count > 1)
            {
                await textIsIn.Task;
            }

            socket.ConnectToServer();
        });
        await SignInAsync();
        var phone = AdminBrowser.NewPhone();
        var name = $"Otto Offline{closeCode}";
        await Fixture.CreateContactAsync("Otto", $"Offline{closeCode}", phone);
        for (var i = 0; i < 100 && sockets.Count == 0; i++)
        {
            await Task.Delay(50);
        }

        await sockets[0].CloseAsync(new() { Code = closeCode, Reason = "test cuts the line" });
        await Fixture.TextInAsync(phone, "Did my text get through?");
        await Expect(Page.Locator(".rows .row", new() { HasText = name })).ToHaveCountAsync(0);
        textIsIn.SetResult();

        // Nothing was delivered over the new socket: the row comes from the refetch that a reconnect makes.
        await Expect(Page.Locator(".rows .row").First).ToContainTextAsync(name, new() { Timeout = 15_000 });
        Assert.Equal(2, sockets.Count);
        // The cut socket is the browser's complaint, not the page's.
        ConsoleErrors.RemoveAll(e => e.Contains("WebSocket", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ScrollingToTheEndOfTheInboxLoadsTheNextPage()
    {
        for (var i = 0; i < 31; i++)
        {
            await Fixture.TextInAsync(AdminBrowser.NewPhone(), $"Paging text {i}");
        }

        await SignInAsync();
        var rows = Page.Locator(".rows .row");
        await Expect(rows).ToHaveCountAsync(30);
        await Page.Locator(".rows").EvaluateAsync("list => list.scrollTop = list.scrollHeight");
        await Expect(rows).Not.ToHaveCountAsync(30);
        Assert.True(await rows.CountAsync() > 30);
    }

    [Fact]
    public async Task AWebhookPostedWhileTheInboxIsOpenAppearsAtTheTopWithoutAReload()
    {
        await SignInAsync();
        await Page.EvaluateAsync("window.stillTheSamePage = true");
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Walter", "Livewire", phone);

        await Fixture.TextInAsync(phone, "Are you coming today?");

        var first = Page.Locator(".rows .row").First;
        await Expect(first).ToContainTextAsync("Walter Livewire", new() { Timeout = 10_000 });
        await Expect(first).ToContainTextAsync("Are you coming today?");
        await Expect(first.Locator(".badge")).ToHaveTextAsync("1");
        Assert.True(await Page.EvaluateAsync<bool>("window.stillTheSamePage === true"));
    }

    /// <summary>The inbox's first answer was read before the text came in, and arrives after the text's live event.</summary>
    [Fact]
    public async Task ALiveEventHeardWhileTheInboxLoadsIsNotLostWhenTheOlderAnswerArrives()
    {
        var earlier = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Olga", "Earlier", earlier);
        await Fixture.TextInAsync(earlier, "Any news on the quote?");
        var release = new TaskCompletionSource();
        await Page.RouteAsync("**/graphql", async route =>
        {
            if (route.Request.PostData?.Contains("query Inbox", StringComparison.Ordinal) != true)
            {
                await route.ContinueAsync();
                return;
            }

            var answer = await route.FetchAsync();
            await release.Task;
            await route.FulfillAsync(new() { Response = answer });
        });
        await SignInAsync();
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Lena", "Latecomer", phone);
        await Fixture.TextInAsync(phone, "Is tomorrow still good?");
        var first = Page.Locator(".rows .row").First;
        await Expect(first).ToContainTextAsync("Lena Latecomer", new() { Timeout = 10_000 });

        release.SetResult();
        await Expect(Page.Locator(".rows .row", new() { HasText = "Olga Earlier" })).ToBeVisibleAsync();
        await Expect(first).ToContainTextAsync("Lena Latecomer");
        await Page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.IgnoreErrors });
    }

    [Fact]
    public async Task AReplyShowsAtOnceAndItsStatusReachesDelivered()
    {
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Rita", "Replies", phone);
        await Fixture.TextInAsync(phone, "Do you fix stair cracks?");
        var conversation = await Fixture.ConversationOfAsync(phone);
        await SignInAsync($"#/c/{Uri.EscapeDataString(conversation["id"]!.GetValue<string>())}");

        var composer = Page.GetByLabel("Reply to Rita Replies");
        await composer.FillAsync("Yes, we do. Tuesday?");
        await Expect(Page.Locator(".counter")).ToContainTextAsync("GSM-7 · 1");
        await composer.PressAsync("Control+Enter");

        var sent = Page.Locator(".item.out", new() { HasText = "Yes, we do. Tuesday?" });
        await Expect(sent).ToBeVisibleAsync(new() { Timeout = 1000 });
        await Expect(composer).ToHaveValueAsync("");
        await Expect(sent.Locator(".status")).ToHaveAttributeAsync("data-status", "DELIVERED", new() { Timeout = 20_000 });
        await Expect(Page.Locator(".item.out", new() { HasText = "Yes, we do. Tuesday?" })).ToHaveCountAsync(1);
        await ShotAsync("thread");
        await AssertAccessibleAsync("thread");
    }

    [Fact]
    public async Task SearchFindsContactsByNameAndPhoneAndMessagesByTheirWords()
    {
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Quincy", "Searchable", phone);
        await Fixture.TextInAsync(phone, "The mortar by the chimney is crumbling");
        await SignInAsync();

        await Page.Keyboard.PressAsync("/");
        await Page.Keyboard.TypeAsync("Searchable");
        await Expect(Page.Locator(".rows .row", new() { HasText = "Quincy Searchable" }).First).ToBeVisibleAsync();

        await Page.GetByLabel("Search names, phones and messages").FillAsync(phone[^7..]);
        await Expect(Page.Locator(".rows .row", new() { HasText = "Quincy Searchable" }).First).ToBeVisibleAsync();

        await Page.GetByLabel("Search names, phones and messages").FillAsync("chimney is crumbling");
        var hit = Page.Locator(".rows .row", new() { HasText = "The mortar by the chimney is crumbling" }).First;
        await Expect(hit).ToBeVisibleAsync();
        await hit.Locator("a").ClickAsync();
        await Expect(Page.Locator(".thread h2")).ToHaveTextAsync("Quincy Searchable");
    }

    [Fact]
    public async Task AnInvitedViewerSignsUpAndSeesNoSendOrTriageControls()
    {
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Vera", "Viewonly", phone);
        await Fixture.TextInAsync(phone, "Just checking in");
        var email = $"viewer{Guid.NewGuid():N}@example.com";
        var invite = await Fixture.Api.DataAsync(
            "mutation($input: InviteUserInput!) { inviteUser(input: $input) { inviteLink errors { __typename } } }",
            new { input = new { email, role = "VIEWER" } });
        var link = invite["inviteUser"]!["inviteLink"]!.GetValue<string>();

        await Page.GotoAsync(Url(link));
        await Page.GetByLabel("Your name").FillAsync("Vic Viewer");
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync("Viewer-Password-2024");
        await Page.GetByLabel("Password again").FillAsync("Viewer-Password-2024");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create my account" }).ClickAsync();
        await Expect(Page.Locator(".top .me")).ToContainTextAsync("Vic Viewer");
        await Page.Locator(".row", new() { HasText = "Vera Viewonly" }).Locator("a").ClickAsync();
        await Expect(Page.Locator(".thread h2")).ToHaveTextAsync("Vera Viewonly");

        await Expect(Page.Locator(".read-only")).ToBeVisibleAsync();
        await Expect(Page.Locator("#composer")).ToHaveCountAsync(0);
        await Expect(Page.Locator(".thread .actions")).ToHaveCountAsync(0);
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Admin" })).ToHaveCountAsync(0);
        await Page.Keyboard.PressAsync("e");
        Assert.Equal("OPEN", (await Fixture.ConversationOfAsync(phone))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task HostileNamesAndTextsAppearLiterallyAndRunNothing()
    {
        const string Name = "<script>alert(1)</script>";
        const string Text = "<img src=x onerror=alert(1)>";
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync(Name, "<b>Bold</b>", phone);
        await Fixture.TextInAsync(phone, Text);
        await SignInAsync();

        var row = Page.Locator(".row", new() { HasText = Name }).First;
        await Expect(row).ToContainTextAsync(Text);
        await row.Locator("a").ClickAsync();
        await Expect(Page.Locator(".thread h2")).ToHaveTextAsync($"{Name} <b>Bold</b>");
        await Expect(Page.Locator(".item.in .body").Last).ToHaveTextAsync(Text);

        Assert.Equal(0, await Page.Locator("img[src='x'], .thread b, .inbox b").CountAsync());
        Assert.Equal(0, await Page.EvaluateAsync<int>("[...document.scripts].filter(s => !s.src).length"));
        // _dialogs is asserted empty when the test ends.
    }

    [Fact]
    public async Task AtPhoneWidthNothingScrollsSideways()
    {
        await OpenAsync(360, 740);
        var phone = AdminBrowser.NewPhone();
        await Fixture.CreateContactAsync("Maximiliana-Bartholomea", "Longname-Overflowington", phone);
        await Fixture.TextInAsync(phone, "A very long text without breaks: " + new string('w', 120));
        await SignInAsync();
        await Expect(Page.Locator(".row").First).ToBeVisibleAsync();
        await ShotAsync("inbox-360");
        Assert.True(await FitsTheScreenAsync(), "The inbox scrolls sideways at 360 px");

        await Page.Locator(".row", new() { HasText = "Maximiliana-Bartholomea" }).Locator("a").ClickAsync();
        await Expect(Page.Locator("#composer")).ToBeVisibleAsync();
        await Expect(Page.Locator(".inbox")).ToBeHiddenAsync();
        await ShotAsync("thread-360");
        Assert.True(await FitsTheScreenAsync(), "The thread scrolls sideways at 360 px");
    }

    [Fact]
    public async Task KeyboardTriageMovesWithJAndKAndMarksDoneWithE()
    {
        var phones = new[] { AdminBrowser.NewPhone(), AdminBrowser.NewPhone(), AdminBrowser.NewPhone() };
        for (var i = 0; i < phones.Length; i++)
        {
            await Fixture.CreateContactAsync("Kay", $"Triage{i}", phones[i]);
            await Fixture.TextInAsync(phones[i], $"Triage text {i}");
        }

        // Newest first: Triage2, Triage1, Triage0.
        await SignInAsync();
        await Expect(Page.Locator(".rows .row").First).ToContainTextAsync("Kay Triage2");
        await Expect(Page.Locator(".row.selected")).ToContainTextAsync("Kay Triage2");

        await Page.Keyboard.PressAsync("j");
        await Page.Keyboard.PressAsync("j");
        await Page.Keyboard.PressAsync("k");
        await Expect(Page.Locator(".row.selected")).ToContainTextAsync("Kay Triage1");

        await Page.Keyboard.PressAsync("e");
        await Expect(Page.Locator(".row", new() { HasText = "Kay Triage1" })).ToHaveCountAsync(0);
        await Expect(Page.Locator(".row.selected")).ToContainTextAsync("Kay Triage0");
        Assert.Equal("DONE", (await Fixture.ConversationOfAsync(phones[1]))["status"]!.GetValue<string>());

        await Page.Keyboard.PressAsync("Enter");
        await Expect(Page.Locator(".thread h2")).ToHaveTextAsync("Kay Triage0");
        await Page.Keyboard.PressAsync("?");
        await Expect(Page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" })).ToBeVisibleAsync();
        await Page.Keyboard.PressAsync("Escape");
        await Page.Keyboard.PressAsync("s");
        await Page.Keyboard.PressAsync("3");
        await Expect(Page.Locator(".notice")).ToContainTextAsync("Snoozed");
        Assert.NotNull((await Fixture.ConversationOfAsync(phones[0]))["snoozedUntil"]);
        await AssertAccessibleAsync("inbox");
    }

    [Fact]
    public async Task AnEndedSessionSendsThePageBackToSignInWithAMessage()
    {
        await SignInAsync();
        await Expect(Page.Locator(".inbox")).ToBeVisibleAsync();
        await Context.ClearCookiesAsync();

        await Page.ReloadAsync();

        await Expect(Page.Locator(".flash")).ToContainTextAsync("Your session has ended");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/sign-in$"));
        // The refused request is the point of this test; the browser logs it as a failed load.
        ConsoleErrors.RemoveAll(e => e.Contains("401", StringComparison.Ordinal));
    }
}
