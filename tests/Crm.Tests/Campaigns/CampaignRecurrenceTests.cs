using System.Text.Json.Nodes;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>Recurring campaigns run by the tick job on a fake clock, each run a campaign of its own.</summary>
public sealed class CampaignRecurrenceTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static readonly DateTimeZone Eastern = DateTimeZoneProviders.Tzdb["America/New_York"];

    /// <summary>Monday 26 October 2026, 09:30 in Boston (summer time); the clocks go back on Sunday 1 November.</summary>
    private static readonly DateTimeOffset Monday = new(2026, 10, 26, 13, 30, 0, TimeSpan.Zero);

    private static readonly TimeSpan Tick = TimeSpan.FromMinutes(10);

    private static readonly Dictionary<string, string?> Settings = new() { ["Campaigns:Tick"] = "00:10:00" };

    private const string Runs = """
        status recurrence { frequency days nextRunAt } history { kind }
        runs(first: 10) { nodes { id name status startAt startedAt parent { id } results { total { audience sent skipped skippedBy { reason count } } } } }
        """;

    [Fact]
    public async Task AWeeklyRunStartsAtTenInBostonBeforeAndAfterTheClocksGoBackAndTextsOnlyWhomEarlierRunsDidNot()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: clock, hostSettings: Settings);
        await host.ArrangeAsync(0);
        await AddContactsAsync(host, 5, "weekly");
        var client = await host.ClientAsync();
        var id = await CreateAsync(client, new
        {
            name = "Weekly check",
            audience = new { where = new { tags = new { some = new { eq = "weekly" } } } },
            variants = new[] { new { body = "Hi {firstName|there}, free crack check this week?" } },
            // Before the third Monday's run: two runs.
            recurrence = new { frequency = "WEEKLY", days = new[] { 1 }, until = "2026-11-09T12:00:00Z" },
        });
        var scheduled = (await client.DataAsync(
            "mutation($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { campaign { status startAt recurrence { nextRunAt } } errors { __typename } } }",
            new { input = new { id, startAt = "2026-10-26T14:00:00Z", timeZone = "America/New_York" } }))["scheduleCampaign"]!;
        var refused = await ActAsync(client, "startCampaign", id);

        await RunAsync(host, clock, Monday.AddHours(1.5), Tick);
        var afterFirst = await GetAsync(client, id, Runs);
        var preview = (await client.DataAsync(
            "query($input: AudiencePreviewInput!) { audiencePreview(input: $input) { total eligible excluded { reason count } } }",
            new { input = new { where = new { tags = new { some = new { eq = "weekly" } } }, campaignId = id } }))["audiencePreview"]!;
        // Three more contacts; then Monday 2 November from 08:50 in Boston (13:50 UTC): 14:00 UTC was 10:00 only in summer time.
        await AddContactsAsync(host, 3, "weekly", first: 5);
        clock.SetUtcNow(Utc(2026, 11, 2, 13, 50));
        await RunAsync(host, clock, Utc(2026, 11, 2, 16, 0), Tick);

        Assert.Equal("SCHEDULED", scheduled["campaign"]!["status"]!.GetValue<string>());
        Assert.Equal(Utc(2026, 10, 26, 14, 0), At(scheduled["campaign"]!["recurrence"]!["nextRunAt"]));
        Assert.Equal("CampaignStateError", refused["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal(("SCHEDULED", 1), (afterFirst["status"]!.GetValue<string>(), afterFirst["runs"]!["nodes"]!.AsArray().Count));
        Assert.Equal(Utc(2026, 11, 2, 15, 0), At(afterFirst["recurrence"]!["nextRunAt"]));
        // The parent's preview skips whom its next run would.
        Assert.Equal((5, 0, "ALREADY_TEXTED", 5), (Int(preview, "total"), Int(preview, "eligible"), preview["excluded"]![0]!["reason"]!.GetValue<string>(), Int(preview["excluded"]![0]!, "count")));

        var campaign = await GetAsync(client, id, Runs);
        var runs = campaign["runs"]!["nodes"]!.AsArray();
        Assert.Equal("COMPLETED", campaign["status"]!.GetValue<string>());
        Assert.Null(campaign["recurrence"]!["nextRunAt"]);
        Assert.Equal(["created", "scheduled", "run", "completed"], campaign["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()));
        Assert.Equal(["Weekly check — 2026-10-26", "Weekly check — 2026-11-02"], runs.Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal([Utc(2026, 10, 26, 14, 0), Utc(2026, 11, 2, 15, 0)], runs.Select(r => At(r!["startAt"])));
        Assert.Equal([Utc(2026, 10, 26, 14, 0), Utc(2026, 11, 2, 15, 0)], runs.Select(r => At(r!["startedAt"])));
        Assert.All(runs, r => Assert.Equal((id, "COMPLETED"), (r!["parent"]!["id"]!.GetValue<string>(), r["status"]!.GetValue<string>())));
        var second = runs[1]!["results"]!["total"]!;
        Assert.Equal((8, 3, 5), (Int(second, "audience"), Int(second, "sent"), Int(second, "skipped")));
        Assert.Equal("ALREADY_TEXTED", second["skippedBy"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal(5, Int(runs[0]!["results"]!["total"]!, "sent"));

        var parentId = NodeId.Decode(id, "Campaign");
        var texts = await host.QueryAsync(db => (
            from r in db.CampaignRecipients
            join c in db.Campaigns on r.CampaignId equals c.Id
            join a in db.Activities on r.ActivityId equals a.Id
            where c.ParentId == parentId && a.SentAt != null
            select new { c.Name, a.ContactId, SentAt = a.SentAt!.Value }).ToListAsync());
        Assert.Equal(8, texts.Count);
        Assert.Equal(8, texts.Select(t => t.ContactId).Distinct().Count());
        Assert.All(texts, t =>
        {
            // Each text within the hour after its run's start: 10:00 in Boston, in summer time and after.
            var boston = Instant.FromDateTimeOffset(t.SentAt).InZone(Eastern).LocalDateTime;
            Assert.InRange(boston.TimeOfDay, new LocalTime(10, 0), new LocalTime(10, 59));
            Assert.Equal(t.Name.EndsWith("2026-10-26", StringComparison.Ordinal) ? new LocalDate(2026, 10, 26) : new LocalDate(2026, 11, 2), boston.Date);
        });
    }

    [Fact]
    public async Task ARecurrenceThatCannotRunGetsATypedErrorThatNamesTheField()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: clock);
        await host.ArrangeAsync(0);
        var client = await host.ClientAsync();
        var audience = new { where = new { tags = new { some = new { eq = "weekly" } } } };
        var variants = new[] { new { body = "Hi {firstName|there}, free crack check this week?" } };

        var noDays = await ErrorAsync(client, "createCampaign", new { name = "No days", audience, variants, recurrence = new { frequency = "WEEKLY" } });
        var badDay = await ErrorAsync(client, "createCampaign", new { name = "Day 8", audience, variants, recurrence = new { frequency = "WEEKLY", days = new[] { 8 } } });
        var dailyDays = await ErrorAsync(client, "createCampaign", new { name = "Daily on Mondays", audience, variants, recurrence = new { frequency = "DAILY", days = new[] { 1 } } });
        // Mondays until Saturday 31 October, scheduled from Tuesday 27: no Monday is left.
        var id = await CreateAsync(client, new { name = "Too short", audience, variants, recurrence = new { frequency = "WEEKLY", days = new[] { 1 }, until = "2026-10-31T12:00:00Z" } });
        var noRun = await ErrorAsync(client, "scheduleCampaign", new { id, startAt = "2026-10-27T14:00:00Z" });
        var once = await CreateAsync(client, new { name = "Once", audience, variants });
        await ActAsync(client, "startCampaign", once);
        await ActAsync(client, "pauseCampaign", once);
        var recurStarted = await ErrorAsync(client, "updateCampaign", new { id = once, recurrence = new { frequency = "DAILY" } });

        Assert.Equal(
            [("InvalidFieldError", "recurrence.days"), ("InvalidFieldError", "recurrence.days"), ("InvalidFieldError", "recurrence.days"), ("InvalidFieldError", "recurrence.until")],
            new[] { noDays, badDay, dailyDays, noRun }.Select(e => (e!["__typename"]!.GetValue<string>(), e["field"]!.GetValue<string>())));
        Assert.Equal(("CampaignStateError", "edit"), (recurStarted!["__typename"]!.GetValue<string>(), recurStarted["action"]!.GetValue<string>()));
        Assert.Equal(("DRAFT", "PAUSED"), ((await GetAsync(client, id, "status"))["status"]!.GetValue<string>(), (await GetAsync(client, once, "status"))["status"]!.GetValue<string>()));
    }

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static DateTimeOffset At(JsonNode? value) => DateTimeOffset.Parse(value!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
}
