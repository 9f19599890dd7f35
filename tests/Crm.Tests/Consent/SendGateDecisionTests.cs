using Crm.Data.Outbound;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Snapshooter.Xunit;

namespace Crm.Tests.Consent;

/// <summary>The gate's decisions by purpose, at 23:00 in Boston (a Massachusetts number) on a fake clock.</summary>
public sealed class SendGateDecisionTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    /// <summary>15 July 2026, 23:00 EDT.</summary>
    private static readonly DateTimeOffset LateEvening = new(2026, 7, 16, 3, 0, 0, TimeSpan.Zero);

    private const string Send = """
        mutation($input: SendMessageInput!) {
          sendMessage(input: $input) { activity { id status gateNote segments } warnings errors { __typename ... on Error { message } } }
        }
        """;

    [Fact]
    public async Task AtLateEveningAStaffTextGoesWithAWarningAndAMarketingTextWaitsForTheMorning()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: new FakeTimeProvider(LateEvening));
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        var conversation = NodeId.Encode("Conversation", conversations[0].Id);

        var staff = await client.DataAsync(Send, new { input = new { conversationId = conversation, body = "Sorry for the late text: the crew is confirmed for 8am." } });
        var cold = await client.DataAsync(Send, new { input = new { conversationId = conversation, body = "Spring special!", purpose = "MARKETING" } });
        var attested = await client.DataAsync(Send, new { input = new { conversationId = conversation, body = "Spring special!", purpose = "MARKETING", consentAttested = true } });
        var check = await client.DataAsync(
            "query($id: ID!) { sendGateCheck(contactId: $id, purpose: MARKETING, consentAttested: true) { verdict deferUntil reasons warnings } }",
            new { id = NodeId.Encode("Contact", conversations[0].ContactId) });
        var contact = await client.DataAsync(
            "query($id: ID!) { node(id: $id) { ... on Contact { timeZone timeZoneSource localTime } } }",
            new { id = NodeId.Encode("Contact", conversations[0].ContactId) });

        var deferred = NodeId.Decode(attested["sendMessage"]!["activity"]!["id"]!.GetValue<string>(), "Activity");
        var outbox = await host.OutboxAsync(deferred);
        // 9:00 EDT the next morning: the business's window (9–20) inside Massachusetts' (8–20).
        Assert.Equal(new DateTimeOffset(2026, 7, 16, 13, 0, 0, TimeSpan.Zero), outbox.NextAttemptAt);
        Assert.Equal((SendPurpose.Marketing, OutboundPriority.Bulk), (outbox.Purpose, outbox.Priority));
        // The snapshot's JSON reader turns date strings into UTC; the field itself keeps the contact's offset.
        Assert.Equal("2026-07-15T23:00:00-04:00", contact["node"]!["localTime"]!.GetValue<string>());
        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(new System.Text.Json.Nodes.JsonArray(
            Without(staff, "id"), cold.DeepClone(), Without(attested, "id"), check.DeepClone(), contact.DeepClone()).ToJsonString()));
    }

    [Fact]
    public async Task AThirdMarketingTextInThirtyDaysWaitsUntilTheOlderOfTheTwoIsAMonthOld()
    {
        var noon = new DateTimeOffset(2026, 7, 15, 16, 0, 0, TimeSpan.Zero);
        await using var host = await OutboundHost.StartAsync(workers: 0, clock: new FakeTimeProvider(noon));
        var (line, conversations) = await host.ArrangeAsync();
        var conversation = conversations[0];
        await ArrangeSentMarketingAsync(host, line, conversation, noon, TimeSpan.FromDays(20), TimeSpan.FromDays(3));
        var client = await host.ClientAsync();

        var third = await client.DataAsync(Send, new { input = new { conversationId = NodeId.Encode("Conversation", conversation.Id), body = "Summer special", purpose = "MARKETING", consentAttested = true } });

        var id = NodeId.Decode(third["sendMessage"]!["activity"]!["id"]!.GetValue<string>(), "Activity");
        Assert.Equal(noon.AddDays(10), (await host.OutboxAsync(id)).NextAttemptAt);
        Assert.StartsWith("Capped: 2 marketing texts in 30 days", third["sendMessage"]!["warnings"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFloridaNumberGetsAtMostThreeMarketingTextsIn24Hours()
    {
        var noon = new DateTimeOffset(2026, 7, 15, 16, 0, 0, TimeSpan.Zero);
        await using var host = await OutboundHost.StartAsync(
            workers: 0, clock: new FakeTimeProvider(noon), hostSettings: new Dictionary<string, string?> { ["Compliance:MarketingMaxPerContact"] = "10" });
        var (line, conversations) = await host.ArrangeAsync();
        var conversation = conversations[0];
        await host.QueryAsync(db => db.Contacts.Where(c => c.Id == conversation.ContactId)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Phone, "+13055551000")));
        await ArrangeSentMarketingAsync(host, line, conversation, noon, TimeSpan.FromHours(20), TimeSpan.FromHours(6), TimeSpan.FromHours(1));
        var client = await host.ClientAsync();

        var fourth = await client.DataAsync(Send, new { input = new { conversationId = NodeId.Encode("Conversation", conversation.Id), body = "One more offer", purpose = "MARKETING", consentAttested = true } });

        var id = NodeId.Decode(fourth["sendMessage"]!["activity"]!["id"]!.GetValue<string>(), "Activity");
        // The oldest of the three in the last day was 20 hours ago: four hours from now it is a day old.
        Assert.Equal(noon.AddHours(4), (await host.OutboxAsync(id)).NextAttemptAt);
        Assert.Equal("Capped: 3 marketing texts in 24 hours (Florida and Oklahoma).", fourth["sendMessage"]!["warnings"]![0]!.GetValue<string>());
    }

    /// <summary>Marketing texts already sent to the conversation's contact, so long before <paramref name="now"/>.</summary>
    private static Task<int> ArrangeSentMarketingAsync(OutboundHost host, Crm.Data.PhoneNumbers.PhoneNumber line, Crm.Data.Conversations.Conversation conversation, DateTimeOffset now, params TimeSpan[] ago) =>
        host.QueryAsync(async db =>
        {
            foreach (var before in ago)
            {
                var activity = new Crm.Data.Activities.Activity
                {
                    ConversationId = conversation.Id,
                    ContactId = conversation.ContactId,
                    Kind = Crm.Data.Activities.ActivityKind.Message,
                    Direction = Crm.Data.Activities.ActivityDirection.Outgoing,
                    Body = "Earlier campaign",
                    OutboundStatus = Crm.Data.Activities.MessageStatus.Delivered,
                    OccurredAt = now - before,
                    CreatedAt = now - before,
                    SentAt = now - before,
                };
                db.Activities.Add(activity);
                db.OutboundMessages.Add(new OutboundMessage
                {
                    ActivityId = activity.Id,
                    State = OutboundState.Done,
                    Purpose = SendPurpose.Marketing,
                    LineOpenPhoneId = line.OpenPhoneId,
                    ToNumber = "+16175551000",
                    NextAttemptAt = now - before,
                    CreatedAt = now - before,
                });
            }

            return await db.SaveChangesAsync();
        });

    private static System.Text.Json.Nodes.JsonNode Without(System.Text.Json.Nodes.JsonNode payload, string field)
    {
        var copy = payload.DeepClone();
        copy["sendMessage"]!["activity"]!.AsObject().Remove(field);
        return copy;
    }
}
