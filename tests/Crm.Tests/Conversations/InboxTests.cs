using Crm.Data.Activities;
using Crm.Data.Conversations;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Conversations;

public sealed class InboxTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private async Task<List<Conversation>> ArrangeInboxAsync(int count)
    {
        var line = TestData.Line();
        var contacts = Enumerable.Range(1, count).Select(n => TestData.Contact(n)).ToList();
        var conversations = contacts.Select((c, i) => TestData.Conversation(c, line, TestData.Epoch.AddMinutes(i))).ToList();
        var messages = conversations.Select((c, i) => TestData.Message(c, $"message {i}", c.LastActivityAt)).ToList();
        for (var i = 0; i < count; i++)
        {
            conversations[i].LastActivityId = messages[i].Id;
            conversations[i].LastActivityKind = ActivityKind.Message;
            conversations[i].UnreadCount = i % 3 == 0 ? 1 : 0;
        }

        messages[0].Media = [new MediaItem { Url = "https://media.example.com/a.jpg", Type = "image/jpeg" }];
        await Fixture.ArrangeAsync(db =>
        {
            db.Add(line);
            db.AddRange(contacts);
            db.AddRange(conversations);
            db.AddRange(messages);
            return Task.CompletedTask;
        });
        return conversations;
    }

    private const string InboxPage = "query($n: Int) { conversations(first: $n) { totalCount nodes { id unread status hasMedia lastActivityKind lastOutgoingFromCampaign contact { displayName phone } phoneNumber { number } lastActivity { kind body occurredAt } } } }";

    [Theory]
    [InlineData(5)]
    [InlineData(50)]
    public async Task AnInboxPageCostsAConstantNumberOfSqlStatementsWhateverItsSize(int size)
    {
        await ArrangeInboxAsync(60);
        using var sql = new SqlCommandCounter();

        var data = await Client.DataAsync(InboxPage, new { n = size });

        var statements = sql.Commands.Where(c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(size, data["conversations"]!["nodes"]!.AsArray().Count);
        // The page with its contacts and lines joined, COUNT, and a batch of the last activities for each field that reads
        // them (lastActivity, hasMedia), each with only its own columns.
        Assert.Equal(4, statements.Count);
        Assert.Contains(statements, c => c.Contains("JOIN \"Contacts\"", StringComparison.Ordinal) && c.Contains("JOIN \"PhoneNumbers\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AContactSelectedThroughEdgesAndFragmentsIsJoinedAndOneNotSelectedIsNot()
    {
        await ArrangeInboxAsync(3);
        const string throughFragments = "query { conversations(first: 3) { edges { node { ... on Conversation { ...Who } } } } } fragment Who on Conversation { contact { displayName } }";

        using var joined = new SqlCommandCounter();
        var data = await Client.DataAsync(throughFragments);
        var withContact = joined.Commands.Where(c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal)).ToList();
        using var plain = new SqlCommandCounter();
        await Client.DataAsync("{ conversations(first: 3) { nodes { unread } } }");
        var without = plain.Commands.Where(c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, data["conversations"]!["edges"]!.AsArray().Count(e => e!["node"]!["contact"]!["displayName"] is not null));
        Assert.Single(withContact);
        Assert.Contains("JOIN \"Contacts\"", withContact[0], StringComparison.Ordinal);
        Assert.Single(without);
        Assert.DoesNotContain("JOIN", without[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadStatusAndSnoozeChangeWhatTheInboxShows()
    {
        var conversations = await ArrangeInboxAsync(3);
        var id = NodeId.Encode("Conversation", conversations[0].Id);

        var read = await Client.DataAsync("mutation($id: ID!) { markConversationRead(input: { id: $id }) { conversation { unread unreadCount } errors { __typename } } }", new { id });
        var unread = await Client.DataAsync("mutation($id: ID!) { markConversationUnread(input: { id: $id }) { conversation { unread } } }", new { id });
        var done = await Client.DataAsync("mutation($id: ID!) { setConversationStatus(input: { id: $id, status: DONE }) { conversation { status } } }", new { id });
        var snoozed = await Client.DataAsync("mutation($id: ID!, $until: DateTime!) { snoozeConversation(input: { id: $id, until: $until }) { conversation { snoozedUntil } } }", new { id, until = DateTimeOffset.UtcNow.AddHours(2) });
        var inbox = await Client.DataAsync("{ conversations { totalCount } }");
        var withSnoozed = await Client.DataAsync("{ conversations(includeSnoozed: true) { totalCount } }");
        await Client.DataAsync("mutation($id: ID!) { unsnoozeConversation(input: { id: $id }) { conversation { snoozedUntil } } }", new { id });
        var back = await Client.DataAsync("{ conversations(where: { status: { eq: DONE } }) { totalCount } }");

        Assert.Equal("""{"conversation":{"unread":false,"unreadCount":0},"errors":null}""", GraphQLClient.Compact(read["markConversationRead"]));
        Assert.True(unread["markConversationUnread"]!["conversation"]!["unread"]!.GetValue<bool>());
        Assert.Equal("DONE", done["setConversationStatus"]!["conversation"]!["status"]!.GetValue<string>());
        Assert.NotNull(snoozed["snoozeConversation"]!["conversation"]!["snoozedUntil"]);
        Assert.Equal(2, inbox["conversations"]!["totalCount"]!.GetValue<int>());
        Assert.Equal(3, withSnoozed["conversations"]!["totalCount"]!.GetValue<int>());
        Assert.Equal(1, back["conversations"]!["totalCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task SnoozingIntoThePastOrAnUnknownConversationChangesNothing()
    {
        var conversations = await ArrangeInboxAsync(1);

        var past = await Client.DataAsync("mutation($id: ID!) { snoozeConversation(input: { id: $id, until: \"2020-01-01T00:00:00Z\" }) { conversation { id } errors { __typename } } }",
            new { id = NodeId.Encode("Conversation", conversations[0].Id) });
        var unknown = await Client.DataAsync("mutation($id: ID!) { markConversationRead(input: { id: $id }) { conversation { id } errors { __typename } } }",
            new { id = NodeId.Encode("Conversation", Guid.CreateVersion7()) });

        Assert.Equal("InvalidFieldError", past["snoozeConversation"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal("NotFoundError", unknown["markConversationRead"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Null(await Fixture.QueryAsync(db => db.Conversations.Select(c => c.SnoozedUntil).SingleAsync()));
    }

    [Fact]
    public async Task InboxRowsSayWhetherTheLastActivityHasMedia()
    {
        await ArrangeInboxAsync(2);

        var data = await Client.DataAsync("{ conversations(order: [{ lastActivityAt: ASC }]) { nodes { hasMedia lastOutgoingFromCampaign } } }");

        Assert.Equal("""[{"hasMedia":true,"lastOutgoingFromCampaign":false},{"hasMedia":false,"lastOutgoingFromCampaign":false}]""", GraphQLClient.Compact(data["conversations"]!["nodes"]));
    }

    [Fact]
    public async Task FiftyTextsOnOneConversationArrivingTenAtATimeInAnyOrderLeaveFiftyUnreadAndTheLatestLast()
    {
        var template = WebhookSender.Sample("message.received.json");
        var texts = Enumerable.Range(0, 50).Select(i => template
            .Replace("EVc67ec998b35c41d388af50799aeeba3e", $"EVlost{i:D2}", StringComparison.Ordinal)
            .Replace("AC24a8b8321c4f4cf2be110f4250793d51", $"AClost{i:D2}", StringComparison.Ordinal)
            .Replace("Hello, world!", $"text {i}", StringComparison.Ordinal)
            .Replace("\"createdAt\": \"2022-01-23T16:55:52.420Z\"", $"\"createdAt\": \"2022-01-23T16:{i:D2}:00.000Z\"", StringComparison.Ordinal)).ToArray();
        new Random(20261201).Shuffle(texts);
        var sender = new WebhookSender(Fixture.Factory);

        foreach (var batch in texts.Chunk(10))
        {
            var responses = await Task.WhenAll(batch.Select(body => sender.PostLegacyAsync(body)));
            Assert.All(responses, r => Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode));
            Array.ForEach(responses, r => r.Dispose());
        }

        var inbox = await Client.DataAsync("{ conversations(first: 2) { nodes { unreadCount lastActivityAt lastActivityPreview lastActivity { body } } } }");
        Assert.Equal(
            """[{"unreadCount":50,"lastActivityAt":"2022-01-23T16:49:00+00:00","lastActivityPreview":"text 49","lastActivity":{"body":"text 49"}}]""",
            GraphQLClient.Compact(inbox["conversations"]!["nodes"]));
    }
}
