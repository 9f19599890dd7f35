using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Compliance;
using Crm.Data.Consent;
using Crm.Data.Conversations;
using Crm.Data.Outbound;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>Who a campaign skips and why, what staff may do to it when, and sends with several instances.</summary>
public sealed class CampaignRulesTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    /// <summary>A Wednesday, 15:00 in Boston: inside the default window and everyone's allowed hours.</summary>
    private static readonly DateTimeOffset Wednesday = new(2026, 12, 9, 20, 0, 0, TimeSpan.Zero);

    private const string Body = "Hi {firstName|there}, free foundation check this month?";

    [Fact]
    public async Task OptedOutPendingReviewOfficeDoNotContactCappedAndUnconsentedContactsAreSkippedWithTheirReasons()
    {
        var clock = new FakeTimeProvider(Wednesday);
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: clock);
        var (line, _) = await host.ArrangeAsync(0);
        var contacts = await AddContactsAsync(host, 9, "fall", change: (c, i) =>
        {
            c.SmsConsent = i switch
            {
                0 => new SmsConsent { Status = SmsConsentStatus.OptedOut, Since = Wednesday.AddDays(-3), Source = ConsentSource.Keyword },
                5 => new SmsConsent(),
                _ => c.SmsConsent,
            };
            c.Tags = i switch { 2 => ["fall", "office"], 3 => ["fall", "Do-Not-Contact"], _ => c.Tags };
        });
        await host.QueryAsync(async db =>
        {
            // 1: a reply held for an opt-out review. 4: two marketing texts in the last 30 days (Compliance:MarketingMaxPerContact).
            var conversation = new Conversation { ContactId = contacts[1].Id, PhoneNumberId = line.Id, CreatedAt = Wednesday, LastActivityAt = Wednesday };
            var reply = TestData.Message(conversation, "please dont text me anymore", Wednesday.AddHours(-2));
            db.AddRange(conversation, reply, new OptOutReview { ContactId = contacts[1].Id, ActivityId = reply.Id, Score = 0.6, Reason = "dont text", Status = OptOutReviewStatus.Pending, CreatedAt = Wednesday });
            var capped = new Conversation { ContactId = contacts[4].Id, PhoneNumberId = line.Id, CreatedAt = Wednesday, LastActivityAt = Wednesday };
            db.Add(capped);
            foreach (var days in new[] { 3, 10 })
            {
                var text = TestData.Message(capped, "Spring special", Wednesday.AddDays(-days), ActivityDirection.Outgoing);
                text.SentAt = text.OccurredAt;
                text.OutboundStatus = MessageStatus.Sent;
                db.AddRange(text, new OutboundMessage
                {
                    ActivityId = text.Id,
                    State = OutboundState.Done,
                    Priority = OutboundPriority.Bulk,
                    Purpose = SendPurpose.Marketing,
                    LineOpenPhoneId = line.OpenPhoneId,
                    ToNumber = contacts[4].Phone!,
                    CreatedAt = text.OccurredAt,
                });
            }

            return await db.SaveChangesAsync();
        });
        var client = await host.ClientAsync();
        var audience = new { where = new { tags = new { some = new { eq = "fall" } } } };

        var preview = (await client.DataAsync(
            "query($input: AudiencePreviewInput!) { audiencePreview(input: $input) { total eligible sample { id } excluded { reason count } } }",
            new { input = new { audience.where } }))["audiencePreview"]!;
        var id = await CreateAsync(client, new { name = "Fall check", audience, variants = new[] { new { body = Body } } });
        await ActAsync(client, "startCampaign", id);
        await RunAsync(host, clock, Wednesday.AddMinutes(30), TimeSpan.FromSeconds(15));

        var expected = new Dictionary<string, int> { ["OPTED_OUT"] = 1, ["REVIEW_PENDING"] = 1, ["EXCLUDED_TAG"] = 2, ["FREQUENCY_CAP"] = 1, ["NO_CONSENT"] = 1 };
        Assert.Equal((9, 3), (Int(preview, "total"), Int(preview, "eligible")));
        Assert.Equal(3, preview["sample"]!.AsArray().Count);
        Assert.Equal(expected, Reasons(preview["excluded"]!));
        var skipped = (await client.DataAsync(
            "query($id: ID!) { campaign(id: $id) { recipients(status: SKIPPED, first: 20) { edges { node { status skipReason contact { id } } } } } }", new { id }))["campaign"]!["recipients"]!["edges"]!.AsArray();
        Assert.Equal(expected, skipped.GroupBy(e => e!["node"]!["skipReason"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count()));
        var campaign = await GetAsync(client, id);
        Assert.Equal(expected, Reasons(campaign["results"]!["total"]!["skippedBy"]!));
        Assert.Equal((9, 3, 6, "COMPLETED"), (Int(campaign, "results.total.audience"), Int(campaign, "results.total.sent"), Int(campaign, "results.total.skipped"), campaign["status"]!.GetValue<string>()));
        Assert.Equal(3, host.Simulator.Traffic.Stats().MessagesAccepted);

        // The same rows as a CSV for a spreadsheet: a header, then each recipient with its status and reason.
        using var export = await client.Http.GetAsync($"/exports/campaigns/{id}/recipients");
        var lines = (await export.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(System.Net.HttpStatusCode.OK, export.StatusCode);
        Assert.StartsWith("Contact ID,Contact name,Phone,Variant,Status,Skip reason", lines[0], StringComparison.Ordinal);
        Assert.Equal(10, lines.Length);
        Assert.Equal(2, lines.Count(l => l.Contains(",SKIPPED,EXCLUDED_TAG,", StringComparison.Ordinal)));
        Assert.Equal(3, lines.Count(l => l.Contains(",A,SENT,,", StringComparison.Ordinal)));
        using var wrongId = await client.Http.GetAsync($"/exports/campaigns/{NodeId.Encode("Contact", Guid.NewGuid())}/recipients");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, wrongId.StatusCode);
    }

    [Fact]
    public async Task IllegalTransitionsAndUnknownTemplateVariablesGetTypedErrorsThatNameTheProblem()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: new FakeTimeProvider(Wednesday));
        await host.ArrangeAsync(0);
        await AddContactsAsync(host, 3, "winter");
        var client = await host.ClientAsync();

        var unknown = (await client.DataAsync(
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } errors { __typename ... on Error { message } ... on InvalidTemplateError { problem variable } } } }",
            new { input = new { name = "Typo", variants = new[] { new { body = "Hi {frstName}, spring special" } } } }))["createCampaign"]!;
        var id = await CreateAsync(client, new { name = "Winter", audience = new { where = new { tags = new { some = new { eq = "winter" } } } }, variants = new[] { new { body = Body } } });
        var pauseDraft = await ActAsync(client, "pauseCampaign", id);
        await ActAsync(client, "startCampaign", id);
        var startAgain = await ActAsync(client, "startCampaign", id);
        var deleteRunning = await ActAsync(client, "deleteCampaign", id);
        var edit = (await client.DataAsync(
            "mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { errors { __typename ... on CampaignStateError { status action } } } }",
            new { input = new { id, name = "Winter 2" } }))["updateCampaign"]!;
        var paused = await ActAsync(client, "pauseCampaign", id);
        var resumed = await ActAsync(client, "resumeCampaign", id);
        var cancelled = await ActAsync(client, "cancelCampaign", id);
        var resumeCancelled = await ActAsync(client, "resumeCampaign", id);

        Assert.Null(unknown["campaign"]);
        var error = unknown["errors"]![0]!;
        Assert.Equal(("InvalidTemplateError", "UNKNOWN_VARIABLE", "frstName"), (error["__typename"]!.GetValue<string>(), error["problem"]!.GetValue<string>(), error["variable"]!.GetValue<string>()));
        Assert.Contains("{frstName}", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(("DRAFT", "pause"), State(pauseDraft));
        Assert.Equal("A DRAFT campaign cannot pause: only a RUNNING one can.", pauseDraft["errors"]![0]!["message"]!.GetValue<string>());
        Assert.Equal(("RUNNING", "start"), State(startAgain));
        Assert.Equal(("RUNNING", "delete"), State(deleteRunning));
        Assert.Equal(("RUNNING", "edit"), State(edit));
        Assert.Equal(("PAUSED", "RUNNING", "CANCELLED"), (Status(paused), Status(resumed), Status(cancelled)));
        Assert.Equal(("CANCELLED", "resume"), State(resumeCancelled));
        var history = (await client.DataAsync("query($id: ID!) { campaign(id: $id) { history { kind actor } } }", new { id }))["campaign"]!["history"]!.AsArray();
        Assert.Equal(["created", "started", "paused", "resumed", "cancelled"], history.Select(h => h!["kind"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TwoInstancesDispatchingAndSendingAtOnceTextEachRecipientOnce()
    {
        var clock = new FakeTimeProvider(Wednesday);
        var settings = new Dictionary<string, string?> { ["Campaigns:DailyCap"] = "1000000", ["Campaigns:Tick"] = "00:01:00" };
        await using var a = await OutboundHost.StartAsync(workers: 0, clock: clock, hostSettings: settings);
        await using var b = await OutboundHost.StartAsync(workers: 0, clock: clock, simulator: a.Simulator, hostSettings: settings);
        await a.ArrangeAsync(0);
        await AddContactsAsync(a, 60, "duo");
        var client = await a.ClientAsync();
        var id = await CreateAsync(client, new { name = "Duo", perMinute = 600, audience = new { where = new { tags = new { some = new { eq = "duo" } } } }, variants = new[] { new { body = Body } } });
        await ActAsync(client, "startCampaign", id);

        // Both dispatch the same tick (bypassing the tick's lease, as two instances whose clocks disagree would) and
        // both send, each in parallel with the other.
        for (var minute = 0; minute < 3; minute++)
        {
            await Task.WhenAll(DispatchAsync(a), DispatchAsync(b));
            await Task.WhenAll(DrainAsync(a), DrainAsync(b), DrainAsync(a), DrainAsync(b));
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        await DispatchAsync(a);

        var texts = await a.QueryAsync(db => db.Activities.AsNoTracking().Where(x => x.Direction == ActivityDirection.Outgoing).Select(x => x.ContactId).ToListAsync());
        Assert.Equal(60, a.Simulator.Traffic.Stats().MessagesAccepted);
        Assert.Equal(60, texts.Distinct().Count());
        Assert.Equal(60, texts.Count);
        Assert.Equal("COMPLETED", (await GetAsync(client, id, "status"))["status"]!.GetValue<string>());
    }

    private static Dictionary<string, int> Reasons(JsonNode counts) =>
        counts.AsArray().ToDictionary(c => c!["reason"]!.GetValue<string>(), c => c!["count"]!.GetValue<int>());

    private static (string, string) State(JsonNode payload) =>
        (payload["errors"]![0]!["status"]!.GetValue<string>(), payload["errors"]![0]!["action"]!.GetValue<string>());

    private static string Status(JsonNode payload) => payload["campaign"]!["status"]!.GetValue<string>();
}
