using System.Globalization;
using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Campaigns;
using Crm.Data.Consent;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Tests.Dashboard;

/// <summary>The dashboard's numbers over HTTP on a fake clock: periods from Boston's midnights, what counts, and the cache.</summary>
public sealed class DashboardTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    /// <summary>Wednesday 9 December 2026, 10:00 in Boston (the business zone): today began at 05:00 UTC.</summary>
    private static readonly DateTimeOffset Now = new(2026, 12, 9, 15, 0, 0, TimeSpan.Zero);

    private const string Query = """
        { dashboard { timeZone unread
            today { from newConversations textsIn textsOut contacted replied replyRate optOuts campaignDeliveries }
            last7Days { newConversations textsIn textsOut contacted replied replyRate optOuts campaignDeliveries }
            last30Days { newConversations textsIn textsOut contacted replied optOuts campaignDeliveries }
            textsPerDay { date textsIn textsOut } } }
        """;

    [Fact]
    public async Task CountsEachPeriodFromLocalMidnightAndCountsOnlyTextsThatWentOut()
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = Fixture.Factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        await ArrangeAsync();
        var client = await ClientAsync(host);
        var dashboard = (await client.DataAsync(Query))["dashboard"]!;

        Assert.Equal("America/New_York", dashboard["timeZone"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2026, 12, 9, 5, 0, 0, TimeSpan.Zero), DateTimeOffset.Parse(dashboard["today"]!["from"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        // Today: Bea's conversation began (01:30 Boston), one text in (Al's reply), two out (Al's nudge, Bea's
        // campaign text; the failed one to Bea never went out), Al answered after our text, Bea did not; Bea opted out
        // twice, once counted; Bea's campaign text was delivered.
        Assert.Equal(Period(1, 1, 2, 2, 1, 0.5, 1, 1), Counts(dashboard["today"]!));
        // Yesterday 20:00 UTC is yesterday in Boston too: the week adds Al's first text; Al's first reply came after it.
        Assert.Equal(Period(1, 1, 3, 2, 1, 0.5, 1, 1), Counts(dashboard["last7Days"]!));
        // Cy's text 12 days ago and Al's conversation (8 days ago) join the month; 40 days ago is outside it.
        var month = dashboard["last30Days"]!;
        Assert.Equal([2, 2, 3, 2, 1, 1, 1], new[] { "newConversations", "textsIn", "textsOut", "contacted", "replied", "optOuts", "campaignDeliveries" }.Select(f => month[f]!.GetValue<int>()));
        Assert.Equal(2, dashboard["unread"]!.GetValue<int>());

        var days = dashboard["textsPerDay"]!.AsArray();
        Assert.Equal(30, days.Count);
        Assert.Equal("2026-11-10", days[0]!["date"]!.GetValue<string>());
        Assert.Equal(("2026-12-09", 1, 2), Day(days[29]!));
        Assert.Equal(("2026-12-08", 0, 1), Day(days[28]!));
        Assert.Equal(("2026-11-27", 1, 0), Day(days[17]!));
        Assert.Equal(5, days.Sum(d => d!["textsIn"]!.GetValue<int>() + d["textsOut"]!.GetValue<int>()));
    }

    [Fact]
    public async Task ServesTheCachedNumbersUntilAnEventSaysTheyChangedAndMovesOnAtLocalMidnight()
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = Fixture.Factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        var (conversationId, contactId) = await ArrangeAsync();
        var client = await ClientAsync(host);
        Assert.Equal(1, await TextsInTodayAsync(client));

        // A text written without its event (no such path exists in the app) is not seen: the numbers come from the cache.
        await Fixture.ArrangeAsync(async db =>
        {
            db.Activities.Add(Message(conversationId, contactId, Now.AddMinutes(-5), ActivityDirection.Incoming));
            await db.SaveChangesAsync();
        });
        Assert.Equal(1, await TextsInTodayAsync(client));

        // Its event, as the webhook receiver publishes it, drops the cached numbers.
        await host.Services.GetRequiredService<IEventBus>().PublishAsync(new MessageReceived(Guid.NewGuid(), conversationId, Guid.NewGuid()), CancellationToken.None);
        var seen = 1;
        for (var i = 0; i < 100 && seen == 1; i++)
        {
            await Task.Delay(20);
            seen = await TextsInTodayAsync(client);
        }

        Assert.Equal(2, seen);

        // Thursday 00:30 in Boston: a new day with nothing in it yet, with no event needed.
        clock.SetUtcNow(new DateTimeOffset(2026, 12, 10, 5, 30, 0, TimeSpan.Zero));
        Assert.Equal(0, await TextsInTodayAsync(client));
    }

    [Fact]
    public async Task NeedsASignedInCaller()
    {
        var response = await Anonymous.PostAsync(Query);
        Assert.Equal("AUTH_NOT_AUTHENTICATED", response.ErrorCode);
    }

    private static async Task<int> TextsInTodayAsync(GraphQLClient client) =>
        (await client.DataAsync("{ dashboard { today { textsIn } } }"))["dashboard"]!["today"]!["textsIn"]!.GetValue<int>();

    /// <summary>A viewer's key (made through the shared host; the database is the same) on the fake-clock host.</summary>
    private async Task<GraphQLClient> ClientAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host)
    {
        var keyed = await Fixture.ClientAsAsync(CrmRole.Viewer);
        var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = keyed.Http.DefaultRequestHeaders.Authorization;
        return new GraphQLClient(http);
    }

    private static (int, int, int, int, int, double, int, int) Period(int newConversations, int textsIn, int textsOut, int contacted, int replied, double replyRate, int optOuts, int deliveries) =>
        (newConversations, textsIn, textsOut, contacted, replied, replyRate, optOuts, deliveries);

    private static (int, int, int, int, int, double, int, int) Counts(JsonNode p) =>
        (p["newConversations"]!.GetValue<int>(), p["textsIn"]!.GetValue<int>(), p["textsOut"]!.GetValue<int>(), p["contacted"]!.GetValue<int>(),
            p["replied"]!.GetValue<int>(), p["replyRate"]!.GetValue<double>(), p["optOuts"]!.GetValue<int>(), p["campaignDeliveries"]!.GetValue<int>());

    private static (string, int, int) Day(JsonNode d) => (d["date"]!.GetValue<string>(), d["textsIn"]!.GetValue<int>(), d["textsOut"]!.GetValue<int>());

    private static Activity Message(Guid conversationId, Guid contactId, DateTimeOffset at, ActivityDirection direction, MessageStatus? status = null) => new()
    {
        ConversationId = conversationId,
        ContactId = contactId,
        Kind = ActivityKind.Message,
        Direction = direction,
        Body = "text",
        OutboundStatus = status,
        DeliveredAt = status == MessageStatus.Delivered ? at.AddMinutes(5) : null,
        OccurredAt = at,
        CreatedAt = at,
    };

    /// <summary>Al (texted yesterday and today, answered today), Bea (new today, a campaign text, a failed one, STOP twice), Cy (texted in 12 days ago).</summary>
    private async Task<(Guid ConversationId, Guid ContactId)> ArrangeAsync()
    {
        await Fixture.ResetAsync();
        var result = (Guid.Empty, Guid.Empty);
        await Fixture.ArrangeAsync(async db =>
        {
            var line = TestData.Line();
            var (al, bea, cy) = (TestData.Contact(1, "Al"), TestData.Contact(2, "Bea"), TestData.Contact(3, "Cy"));
            db.AddRange(line, al, bea, cy);
            var alc = TestData.Conversation(al, line, Now);
            alc.CreatedAt = Now.AddDays(-8);
            alc.UnreadCount = 1;
            var beac = TestData.Conversation(bea, line, Now);
            beac.CreatedAt = new DateTimeOffset(2026, 12, 9, 6, 30, 0, TimeSpan.Zero);
            var cyc = TestData.Conversation(cy, line, Now.AddDays(-12));
            cyc.CreatedAt = Now.AddDays(-40);
            cyc.UnreadCount = 2;
            db.AddRange(alc, beac, cyc);
            db.Activities.AddRange(
                Message(alc.Id, al.Id, Now.AddHours(-19), ActivityDirection.Outgoing, MessageStatus.Sent),
                Message(alc.Id, al.Id, Now.AddHours(-2), ActivityDirection.Outgoing, MessageStatus.Delivered),
                Message(alc.Id, al.Id, Now.AddHours(-1), ActivityDirection.Incoming),
                Message(beac.Id, bea.Id, Now.AddHours(-3), ActivityDirection.Outgoing, MessageStatus.Failed),
                Message(cyc.Id, cy.Id, Now.AddDays(-12), ActivityDirection.Incoming),
                Message(cyc.Id, cy.Id, Now.AddDays(-45), ActivityDirection.Incoming));
            var campaignText = Message(beac.Id, bea.Id, Now.AddHours(-8), ActivityDirection.Outgoing, MessageStatus.Delivered);
            db.Activities.Add(campaignText);
            var campaign = new Campaign { Name = "Winter", WindowStart = "09:00", WindowEnd = "18:00", Status = CampaignStatus.Completed };
            var variant = new CampaignVariant { CampaignId = campaign.Id, Label = "A", Body = "Hi" };
            db.AddRange(campaign, variant);
            db.CampaignRecipients.Add(new CampaignRecipient { CampaignId = campaign.Id, ContactId = bea.Id, VariantId = variant.Id, State = RecipientState.Queued, ActivityId = campaignText.Id });
            db.ConsentEntries.AddRange(
                new ConsentEntry { ContactId = bea.Id, Phone = bea.Phone, Status = ConsentStatus.OptedOut, Source = ConsentSource.Keyword, At = Now.AddHours(-1), RecordedAt = Now.AddHours(-1) },
                new ConsentEntry { ContactId = bea.Id, Phone = bea.Phone, Status = ConsentStatus.OptedOut, Source = ConsentSource.Keyword, At = Now.AddMinutes(-30), RecordedAt = Now.AddMinutes(-30) });
            await db.SaveChangesAsync();
            result = (alc.Id, al.Id);
        });
        return result;
    }
}
