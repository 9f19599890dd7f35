using Crm.Data.Activities;
using Crm.Data.Campaigns;
using Crm.Data.Conversations;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>Campaigns run end to end through the outbound pipe and the simulator, on a fake clock.</summary>
public sealed class CampaignRunTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static readonly DateTimeZone Eastern = DateTimeZoneProviders.Tzdb["America/New_York"];

    /// <summary>Monday 7 December 2026, 08:00 in Boston.</summary>
    private static readonly DateTimeOffset Monday = new(2026, 12, 7, 13, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Tick = TimeSpan.FromMinutes(10);

    private static readonly Dictionary<string, string?> Settings = new() { ["Campaigns:Tick"] = "00:10:00" };

    [Fact]
    public async Task ATwoVariantCampaignSendsTheDailyCapEachDayInsideTheWindowsOnceEachAndResumesWithTheSameVariants()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var first = await OutboundHost.StartAsync(workers: 0, clock: clock, hostSettings: Settings);
        await first.ArrangeAsync(0);
        // 280 in Boston; 20 in Los Angeles, whose allowed hours (09:00–20:00 theirs) open at noon in Boston.
        var contacts = (await AddContactsAsync(first, 280, "spring")).Concat(await AddContactsAsync(first, 20, "spring", areaCode: "213", first: 280)).ToList();
        var client = await first.ClientAsync();
        var id = await CreateAsync(client, new
        {
            name = "Spring crack check",
            audience = new { where = new { tags = new { some = new { eq = "spring" } } } },
            variants = new[] { new { body = "Hi {firstName|there}, spring is here: free crack check this week?", weight = 1 }, new { body = "{firstName|Hello}, we fix foundation cracks. Want a free quote?", weight = 1 } },
        });
        var started = await ActAsync(client, "startCampaign", id);
        Assert.Equal("RUNNING", started["campaign"]!["status"]!.GetValue<string>());

        await RunAsync(first, clock, Monday.AddDays(1), Tick);
        // Tuesday on another instance, as after a restart: it goes on from the database alone.
        await using var second = await OutboundHost.StartAsync(workers: 0, clock: clock, simulator: first.Simulator, hostSettings: Settings);
        await RunAsync(second, clock, Monday.AddDays(2), Tick);

        var campaignId = NodeId.Decode(id, "Campaign");
        var texts = await second.QueryAsync(db => db.Activities.AsNoTracking().Where(a => a.Direction == ActivityDirection.Outgoing && a.SentAt != null).ToListAsync());
        var byDay = texts.GroupBy(t => Instant.FromDateTimeOffset(t.SentAt!.Value).InZone(Eastern).Date).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        Assert.Equal([125, 125], byDay);
        Assert.All(texts, t =>
        {
            var boston = Instant.FromDateTimeOffset(t.SentAt!.Value).InZone(Eastern).TimeOfDay;
            Assert.InRange(boston, new LocalTime(9, 0), new LocalTime(17, 59, 59));
            if (t.ToNumbers[0].StartsWith("+1213", StringComparison.Ordinal))
            {
                Assert.True(boston >= new LocalTime(12, 0), $"{t.ToNumbers[0]} texted at {boston} Boston time, before 09:00 in Los Angeles");
            }
        });
        // Spread over the window, not burst at its start: no hour has more than twice its share (125 over 9 hours).
        Assert.All(texts.GroupBy(t => (t.SentAt!.Value.UtcDateTime.Date, t.SentAt!.Value.UtcDateTime.Hour)), hour => Assert.InRange(hour.Count(), 1, 28));
        Assert.Equal(texts.Count, texts.Select(t => t.ContactId).Distinct().Count());
        Assert.Equal(250, first.Simulator.Traffic.Stats().MessagesAccepted);
        Assert.Contains(texts, t => t.ToNumbers[0].StartsWith("+1213", StringComparison.Ordinal));

        var recipients = await second.QueryAsync(db => db.CampaignRecipients.AsNoTracking().Where(r => r.CampaignId == campaignId).ToListAsync());
        var variants = await second.QueryAsync(db => db.CampaignVariants.AsNoTracking().Where(v => v.CampaignId == campaignId).OrderBy(v => v.Label).ToListAsync());
        Assert.Equal(300, recipients.Count);
        Assert.All(recipients, r => Assert.Equal(CampaignOperations.Assign(campaignId, r.ContactId, variants).Id, r.VariantId));
        Assert.All(variants, v => Assert.InRange(recipients.Count(r => r.VariantId == v.Id), 110, 190));
        var first10 = texts.Where(t => t.ToNumbers[0].StartsWith("+1617", StringComparison.Ordinal)).Take(10).ToList();
        // A contact with no first name (every tenth; recipients go in a shuffled order, so whichever was texted): the
        // fallback, and the opt-out footer on a first marketing text.
        var nameless = contacts.Where(c => c.FirstName is null).Select(c => c.Id).ToHashSet();
        var body = texts.First(t => nameless.Contains(t.ContactId)).Body!;
        Assert.Matches("^(Hi there, spring|Hello, we fix)", body);
        Assert.EndsWith("\nReply STOP to opt out", body, StringComparison.Ordinal);

        // Replies on Tuesday evening, to the texts of the first ten Boston recipients: attributed to the campaign.
        await using (var scope = second.App.Services.CreateAsyncScope())
        {
            var timeline = scope.ServiceProvider.GetRequiredService<TimelineOperations>();
            foreach (var (text, i) in first10.Select((t, i) => (t, i)))
            {
                await timeline.RecordMessageAsync(
                    new MessageFact($"ACreply{i:D4}", ActivityDirection.Incoming, text.ToNumbers[0], [text.FromNumber!], i == 0 ? "STOP" : "Yes please, how much?", [], "received", clock.GetUtcNow(), first.LineId, null),
                    CancellationToken.None);
            }
        }

        var campaign = await GetAsync(client, id);
        var total = campaign["results"]!["total"]!;
        Assert.Equal((300, 50, 0, 250, 0), (Int(total, "audience"), Int(total, "pending"), Int(total, "queued"), Int(total, "sent"), Int(total, "skipped")));
        Assert.Equal(Int(total, "sent"), Int(total, "delivered") + Int(total, "undelivered") + Int(total, "awaitingDelivery"));
        Assert.Equal((10, 1), (Int(total, "replied"), Int(total, "optedOut")));
        Assert.Equal(300, campaign["results"]!["variants"]!.AsArray().Sum(v => Int(v!, "tally.audience")));
        Assert.Equal(250, campaign["results"]!["variants"]!.AsArray().Sum(v => Int(v!, "tally.sent")));
        Assert.Equal("RUNNING", campaign["status"]!.GetValue<string>());
    }
}
