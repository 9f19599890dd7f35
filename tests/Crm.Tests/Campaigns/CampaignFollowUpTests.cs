using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Campaigns;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>Follow-up sequences through the dispatcher, the outbound pipe and the simulator, on a fake clock.</summary>
public sealed class CampaignFollowUpTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static readonly DateTimeZone Eastern = DateTimeZoneProviders.Tzdb["America/New_York"];

    /// <summary>Monday 7 December 2026, 09:00 in Boston: the default window opens.</summary>
    private static readonly DateTimeOffset Monday = new(2026, 12, 7, 14, 0, 0, TimeSpan.Zero);

    private const string Body = "Hi {firstName|there}, free foundation check this month?";

    private const string FollowUp = "Still interested in a free check, {firstName|there}?";

    /// <summary>How the texts of <see cref="Body"/> and of <see cref="FollowUp"/> start, rendered.</summary>
    private const string FirstText = "Hi ";

    private const string FollowUpText = "Still interested";

    private const string Results = """
        status results { total { sent replied optedOut } followUps { step { step afterHours afterDays } total waiting due queued sent failedToSend skipped stopped replied } }
        recipients(first: 20) { nodes { contact { id } followUps { step status dueAt sentAt } } }
        """;

    [Fact]
    public async Task AFollowUpTwoDaysLaterGoesToThoseWhoDidNotReplyAndNotToOneWhoRepliedOrOneWhoOptedOut()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: clock, hostSettings: new Dictionary<string, string?> { ["Campaigns:Tick"] = "00:10:00" });
        await host.ArrangeAsync(0);
        var contacts = await AddContactsAsync(host, 6, "sequence");
        var client = await host.ClientAsync();
        var id = await CreateAsync(client, new
        {
            name = "Check with a reminder",
            audience = new { where = new { tags = new { some = new { eq = "sequence" } } } },
            variants = new[] { new { body = Body } },
            followUps = new[] { new { afterDays = 2, body = FollowUp } },
        });
        await ActAsync(client, "startCampaign", id);

        await RunAsync(host, clock, Monday.AddHours(1), TimeSpan.FromMinutes(10));
        var afterFirst = await GetAsync(client, id, Results);
        // Tuesday: contact 0 answers, contact 1 opts out.
        var first = await TextsAsync(host, FirstText);
        clock.SetUtcNow(Monday.AddDays(1));
        await ReplyAsync(host, first.Single(t => t.ContactId == contacts[0].Id), "How much would that be?", clock.GetUtcNow());
        await ReplyAsync(host, first.Single(t => t.ContactId == contacts[1].Id), "STOP", clock.GetUtcNow());
        // Wednesday, from just before the step falls due.
        clock.SetUtcNow(Monday.AddDays(2).AddMinutes(-10));
        await RunAsync(host, clock, Monday.AddDays(2).AddHours(1), TimeSpan.FromMinutes(10));

        var followUps = await TextsAsync(host, FollowUpText);
        Assert.Equal(6, first.Count);
        Assert.Equal(contacts.Skip(2).Select(c => c.Id).Order(), followUps.Select(t => t.ContactId).Order());
        Assert.All(followUps, t => Assert.True(t.SentAt >= first.Single(f => f.ContactId == t.ContactId).SentAt!.Value.AddDays(2), $"{t.SentAt} is early"));
        // Every first text was sent on Monday, yet the campaign ran on until its follow-ups were done.
        Assert.Equal(("RUNNING", 6), (afterFirst["status"]!.GetValue<string>(), Int(afterFirst, "results.total.sent")));
        Assert.Equal((6, 6), (Int(afterFirst["results"]!["followUps"]![0]!, "total"), Int(afterFirst["results"]!["followUps"]![0]!, "waiting")));

        var campaign = await GetAsync(client, id, Results);
        var step = campaign["results"]!["followUps"]![0]!;
        Assert.Equal("COMPLETED", campaign["status"]!.GetValue<string>());
        Assert.Equal((1, 48, 2), (Int(step, "step.step"), Int(step, "step.afterHours"), Int(step, "step.afterDays")));
        Assert.Equal((6, 0, 0, 0, 4, 0, 0, 2, 0), (Int(step, "total"), Int(step, "waiting"), Int(step, "due"), Int(step, "queued"), Int(step, "sent"), Int(step, "failedToSend"), Int(step, "skipped"), Int(step, "stopped"), Int(step, "replied")));
        Assert.Equal((2, 1), (Int(campaign, "results.total.replied"), Int(campaign, "results.total.optedOut")));
        var steps = campaign["recipients"]!["nodes"]!.AsArray().ToDictionary(
            r => NodeId.Decode(r!["contact"]!["id"]!.GetValue<string>(), "Contact"), r => r!["followUps"]!.AsArray().Single()!);
        Assert.Equal(("STOPPED", "STOPPED"), (Status(steps[contacts[0].Id]), Status(steps[contacts[1].Id])));
        Assert.All(contacts.Skip(2), c => Assert.Equal("SENT", Status(steps[c.Id])));
        // Each step fell due exactly two days after its recipient's own first text.
        Assert.All(first, t => Assert.Equal(t.SentAt!.Value.AddDays(2), DateTimeOffset.Parse(steps[t.ContactId]["dueAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task FollowUpsWaitForTheWindowTakeTheDailyCapFirstAndCountAgainstIt()
    {
        var clock = new FakeTimeProvider(Monday);
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: clock, hostSettings: new Dictionary<string, string?> { ["Campaigns:Tick"] = "00:30:00" });
        await host.ArrangeAsync(0);
        await AddContactsAsync(host, 8, "capped");
        var client = await host.ClientAsync();
        // 20 hours after a text sent in the window (09:00–18:00) is before the next day's window opens, or inside it.
        var id = await CreateAsync(client, new
        {
            name = "Five a day",
            dailyCap = 5,
            audience = new { where = new { tags = new { some = new { eq = "capped" } } } },
            variants = new[] { new { body = Body } },
            followUps = new[] { new { afterHours = 20, body = FollowUp } },
        });
        await ActAsync(client, "startCampaign", id);

        await RunAsync(host, clock, Monday.AddDays(3).AddHours(9), TimeSpan.FromMinutes(30));

        var first = await TextsAsync(host, FirstText);
        var followUps = await TextsAsync(host, FollowUpText);
        Assert.Equal((8, 8), (first.Count, followUps.Count));
        var days = first.Concat(followUps).GroupBy(t => Local(t).Date).OrderBy(g => g.Key)
            .Select(g => (g.Key.DayOfWeek, First: g.Count(t => t.Body!.StartsWith(FirstText, StringComparison.Ordinal)), FollowUps: g.Count(t => t.Body!.StartsWith(FollowUpText, StringComparison.Ordinal))))
            .ToList();
        // Monday: five first texts. Tuesday: their five follow-ups take the day's five turns. Wednesday: the last three, Thursday theirs.
        Assert.Equal(
            [(IsoDayOfWeek.Monday, 5, 0), (IsoDayOfWeek.Tuesday, 0, 5), (IsoDayOfWeek.Wednesday, 3, 0), (IsoDayOfWeek.Thursday, 0, 3)],
            days);
        Assert.All(first.Concat(followUps), t => Assert.InRange(Local(t).TimeOfDay, new LocalTime(9, 0), new LocalTime(17, 59, 59)));
        Assert.All(followUps, t => Assert.True(t.SentAt >= first.Single(f => f.ContactId == t.ContactId).SentAt!.Value.AddHours(20)));
        // A step due in the night went at the window's opening.
        Assert.Contains(followUps, t => Local(t).TimeOfDay < new LocalTime(9, 30));
        Assert.Equal("COMPLETED", (await GetAsync(client, id, "status"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwoInstancesDispatchingAndSendingAtOnceSendEachStepOnce()
    {
        // Wednesday 9 December, 15:00 in Boston.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 9, 20, 0, 0, TimeSpan.Zero));
        var settings = new Dictionary<string, string?> { ["Campaigns:DailyCap"] = "1000000", ["Campaigns:Tick"] = "00:01:00" };
        await using var a = await OutboundHost.StartAsync(workers: 0, clock: clock, hostSettings: settings);
        await using var b = await OutboundHost.StartAsync(workers: 0, clock: clock, simulator: a.Simulator, hostSettings: settings);
        await a.ArrangeAsync(0);
        await AddContactsAsync(a, 30, "pair");
        var client = await a.ClientAsync();
        var id = await CreateAsync(client, new
        {
            name = "Pair",
            perMinute = 600,
            audience = new { where = new { tags = new { some = new { eq = "pair" } } } },
            variants = new[] { new { body = Body } },
            followUps = new[] { new { afterHours = 1, body = FollowUp } },
        });
        await ActAsync(client, "startCampaign", id);

        // Both dispatch every minute (bypassing the tick's lease, as two instances whose clocks disagree would) and both
        // send, each in parallel with the other: the first texts, then an hour later the follow-ups.
        foreach (var minutes in new[] { 0, 1, 2, 60, 61, 62, 63 })
        {
            clock.SetUtcNow(new DateTimeOffset(2026, 12, 9, 20, minutes % 60, 0, TimeSpan.Zero).AddHours(minutes / 60));
            await Task.WhenAll(DispatchAsync(a), DispatchAsync(b));
            await Task.WhenAll(DrainAsync(a), DrainAsync(b), DrainAsync(a), DrainAsync(b));
        }

        await DispatchAsync(a);

        var campaignId = NodeId.Decode(id, "Campaign");
        var followUps = await TextsAsync(a, FollowUpText);
        Assert.Equal(60, a.Simulator.Traffic.Stats().MessagesAccepted);
        Assert.Equal(30, followUps.Count);
        Assert.Equal(30, followUps.Select(t => t.ContactId).Distinct().Count());
        Assert.Equal(30, await a.QueryAsync(db => db.CampaignFollowUps.CountAsync(f => f.CampaignId == campaignId && f.State == FollowUpState.Queued)));
        Assert.Equal(30, await a.QueryAsync(db => db.OutboundMessages.CountAsync(o => o.IdempotencyKey!.EndsWith(":step:1"))));
        Assert.Equal("COMPLETED", (await GetAsync(client, id, "status"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task FollowUpsThatCannotBeSentGetTypedErrorsAndAStartedCampaignKeepsTheirDelays()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: new FakeTimeProvider(Monday));
        await host.ArrangeAsync(0);
        var client = await host.ClientAsync();
        var audience = new { where = new { tags = new { some = new { eq = "nobody" } } } };
        var variants = new[] { new { body = Body } };

        var both = await ErrorAsync(client, "createCampaign", new { name = "Both", audience, variants, followUps = new[] { new { afterDays = 2, afterHours = 3, body = FollowUp } } });
        var neither = await ErrorAsync(client, "createCampaign", new { name = "Neither", audience, variants, followUps = new[] { new { body = FollowUp } } });
        var tooLate = await ErrorAsync(client, "createCampaign", new { name = "Too late", audience, variants, followUps = new[] { new { afterDays = 61, body = FollowUp } } });
        var tooMany = await ErrorAsync(client, "createCampaign", new { name = "Six", audience, variants, followUps = Enumerable.Repeat(new { afterDays = 1, body = FollowUp }, 6) });
        var typo = await ErrorAsync(client, "createCampaign", new { name = "Typo", audience, variants, followUps = new[] { new { afterDays = 1, body = "Still on, {frstName}?" } } });
        var id = await CreateAsync(client, new { name = "Kept", audience, variants, followUps = new[] { new { afterDays = 2, body = FollowUp } } });
        await ActAsync(client, "startCampaign", id);
        await ActAsync(client, "pauseCampaign", id);
        var sooner = await ErrorAsync(client, "updateCampaign", new { id, followUps = new[] { new { afterDays = 1, body = FollowUp } } });
        var reworded = await ErrorAsync(client, "updateCampaign", new { id, followUps = new[] { new { afterHours = 48, body = "One more nudge, {firstName|there}?" } } });

        Assert.Equal(
            [("InvalidFieldError", "followUps[0]"), ("InvalidFieldError", "followUps[0]"), ("InvalidFieldError", "followUps[0].afterDays"), ("InvalidFieldError", "followUps")],
            new[] { both, neither, tooLate, tooMany }.Select(e => (e!["__typename"]!.GetValue<string>(), e["field"]!.GetValue<string>())));
        Assert.Equal("InvalidTemplateError", typo!["__typename"]!.GetValue<string>());
        Assert.Equal(("CampaignStateError", "edit"), (sooner!["__typename"]!.GetValue<string>(), sooner["action"]!.GetValue<string>()));
        Assert.Null(reworded);
        var steps = (await GetAsync(client, id, "followUps { step afterDays body }"))["followUps"]!.AsArray();
        Assert.Equal([(1, 2, "One more nudge, {firstName|there}?")], steps.Select(f => (f!["step"]!.GetValue<int>(), f["afterDays"]!.GetValue<int>(), f["body"]!.GetValue<string>())));
    }

    /// <summary>The outgoing texts whose body starts so, sent.</summary>
    private static Task<List<Activity>> TextsAsync(OutboundHost host, string start) => host.QueryAsync(db => db.Activities.AsNoTracking()
        .Where(a => a.Direction == ActivityDirection.Outgoing && a.SentAt != null && a.Body!.StartsWith(start)).ToListAsync());

    private static string Status(JsonNode step) => step["status"]!.GetValue<string>();

    private static LocalDateTime Local(Activity text) => Instant.FromDateTimeOffset(text.SentAt!.Value).InZone(Eastern).LocalDateTime;
}
