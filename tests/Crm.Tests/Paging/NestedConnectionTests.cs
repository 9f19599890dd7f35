using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Paging;

/// <summary>
/// Connections under a list (<c>contacts { conversations }</c>, <c>conversations { activities }</c>) are loaded for
/// all parents at once, and each parent's page is the page it gets on its own.
/// </summary>
public sealed class NestedConnectionTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const int ContactCount = 50;

    public static TheoryData<string, int> Shapes() => new()
    {
        // The parents' page, then one windowed query per nested field; a COUNT ... GROUP BY for each totalCount.
        { "contacts(first: $n) { nodes { id conversations(first: 3) { nodes { id } } } }", 2 },
        { "contacts(first: $n) { nodes { id conversations(first: 3) { totalCount nodes { id } } } }", 3 },
        { "conversations(first: $n) { nodes { id activities(first: 2) { nodes { id body } } } }", 2 },
        { "conversations(first: $n) { nodes { id activities(first: 2) { totalCount nodes { id body } } } }", 3 },
        { "contacts(first: $n) { nodes { id activities(last: 2) { totalCount nodes { id } } } }", 3 },
        { "contacts(first: $n) { nodes { conversations(first: 2) { totalCount nodes { activities(first: 2) { totalCount nodes { id } } } } } }", 5 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ANestedConnectionCostsTheSameStatementsUnderFiveParentsAsUnderFifty(string selection, int expected)
    {
        await ArrangeAsync(Fixture);

        Assert.Equal(expected, await CountStatementsAsync(selection, 5));
        Assert.Equal(expected, await CountStatementsAsync(selection, 50));
    }

    public static TheoryData<string, string> ConversationArguments() => new()
    {
        { "first: 2", "" },
        { "first: 2", "unread: { eq: true }" },
        { "first: 2, order: [{ unreadCount: DESC }, { createdAt: ASC }]", "" },
        { "last: 2", "" },
        { "last: 1, order: [{ lastActivityAt: ASC }]", "status: { eq: OPEN }" },
        { "first: 2, after: $cursor", "" },
        { "last: 2, before: $cursor", "unread: { eq: false }" },
        { "first: 3, order: [{ contact: { lastName: DESC } }, { lastActivityAt: ASC }]", "phoneNumber: { number: { endsWith: \"0101\" } }" },
    };

    [Theory]
    [MemberData(nameof(ConversationArguments))]
    public async Task EachContactsConversationsUnderTheListAreWhatTheContactGetsAlone(string arguments, string where)
    {
        await ArrangeAsync(Fixture);
        var cursor = await MiddleCursorAsync(Client, "{ conversations(first: 60) { edges { cursor } } }", data => data["conversations"]!);

        var pages = await AssertEachParentAsAloneAsync(
            Client,
            parents: $"contacts(first: 30) {{ nodes {{ id conversations({Join(arguments, where)}) {{ {Page} }} }} }}",
            list: "contacts",
            field: "conversations",
            // The root list pages without batching: the oracle; contact(id) is the batched path with one parent.
            alone: [
                $"conversations(includeSnoozed: true, {arguments}, where: {{ contact: {{ id: {{ eq: $id }} }} {where} }}) {{ {Page} }}",
                $"contact(id: $id) {{ conversations({Join(arguments, where)}) {{ {Page} }} }}"],
            cursor);
        Assert.Contains(pages, p => p["edges"]!.AsArray().Count == 0);
    }

    public static TheoryData<string, string> ActivityArguments() => new()
    {
        { "first: 2", "" },
        { "first: 3", "direction: { eq: INCOMING }" },
        { "last: 2", "" },
        { "last: 1, order: [{ occurredAt: ASC }]", "kind: { eq: MESSAGE }" },
        { "first: 2, after: $cursor", "" },
        { "last: 3, before: $cursor", "" },
    };

    [Theory]
    [MemberData(nameof(ActivityArguments))]
    public async Task EachConversationsActivitiesUnderTheListAreWhatTheConversationGetsAlone(string arguments, string where)
    {
        await ArrangeAsync(Fixture);
        var cursor = await MiddleCursorAsync(
            Client, "{ contacts(where: { firstName: { eq: \"First049\" } }) { nodes { activities(first: 20) { edges { cursor } } } } }", data => data["contacts"]!["nodes"]![0]!["activities"]!);

        var pages = await AssertEachParentAsAloneAsync(
            Client,
            parents: $"conversations(first: 60) {{ nodes {{ id activities({Join(arguments, where)}) {{ {Page} }} }} }}",
            list: "conversations",
            field: "activities",
            alone: [$"conversation(id: $id) {{ activities({Join(arguments, where)}) {{ {Page} }} }}"],
            cursor);
        Assert.Contains(pages, p => p["edges"]!.AsArray().Count == 0);
    }

    internal const string Page = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }";

    internal static string Join(string arguments, string where) => where.Length == 0 ? arguments : $"{arguments}, where: {{ {where} }}";

    private async Task<int> CountStatementsAsync(string selection, int parents)
    {
        using var sql = new SqlCommandCounter();
        var data = await Client.DataAsync($"query($n: Int) {{ {selection} }}", new { n = parents });

        Assert.Equal(parents, data.AsObject().Single().Value!["nodes"]!.AsArray().Count);
        // Authenticating the API key is not the query's work.
        return sql.Commands.Count(c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// Every parent of <paramref name="parents"/> has, under <paramref name="field"/>, exactly the page each query of
    /// <paramref name="alone"/> returns for it (<c>$id</c>: the parent's id, <c>$cursor</c>: a cursor from the middle).
    /// </summary>
    /// <returns>The parents' pages, for further conditions on the data.</returns>
    internal static async Task<List<JsonNode>> AssertEachParentAsAloneAsync(GraphQLClient client, string parents, string list, string field, string[] alone, string cursor)
    {
        var usesCursor = parents.Contains("$cursor", StringComparison.Ordinal);
        var batched = (await client.DataAsync(usesCursor ? $"query($cursor: String) {{ {parents} }}" : $"{{ {parents} }}", new { cursor }))[list]!["nodes"]!.AsArray();
        Assert.True(batched.Count > 1, "The list must hold more than one parent.");
        Assert.Contains(batched, p => p![field]!["edges"]!.AsArray().Count > 0);

        foreach (var parent in batched)
        {
            foreach (var query in alone)
            {
                var own = await client.DataAsync(usesCursor ? $"query($id: ID!, $cursor: String) {{ {query} }}" : $"query($id: ID!) {{ {query} }}", new { id = parent!["id"]!.GetValue<string>(), cursor });
                var page = own.AsObject().Single().Value!;
                Assert.Equal(GraphQLClient.Compact(page[field] ?? page), GraphQLClient.Compact(parent[field]));
            }
        }

        return [.. batched.Select(p => p![field]!)];
    }

    /// <summary>A cursor from the middle of a list, so that a seek from it leaves some parents rows and others none.</summary>
    internal static async Task<string> MiddleCursorAsync(GraphQLClient client, string query, Func<JsonNode, JsonNode> connection)
    {
        var edges = connection(await client.DataAsync(query))["edges"]!.AsArray();
        return edges[edges.Count / 2]!["cursor"]!.GetValue<string>();
    }

    /// <summary>
    /// 50 contacts with 0 to 4 conversations each (one per line), 0 to 3 messages on each; some last activities tie
    /// within a contact, and some messages within a conversation, so the id tiebreak matters.
    /// </summary>
    internal static async Task ArrangeAsync(PostgresFixture fixture)
    {
        var lines = Enumerable.Range(0, 4).Select(i => TestData.Line($"+1617555{100 + i:D4}")).ToList();
        var contacts = new List<Contact>();
        var conversations = new List<Conversation>();
        var activities = new List<Activity>();
        for (var n = 1; n <= ContactCount; n++)
        {
            var contact = TestData.Contact(n);
            contacts.Add(contact);
            for (var j = 0; j < n % 5; j++)
            {
                var conversation = TestData.Conversation(contact, lines[j], TestData.Epoch.AddMinutes(n * 10).AddHours(-(j == 2 ? 1 : j)));
                conversation.UnreadCount = (n + j) % 3;
                conversation.Status = j == 3 ? ConversationStatus.Done : ConversationStatus.Open;
                conversations.Add(conversation);
                for (var k = 0; k < (n + j) % 4; k++)
                {
                    var direction = k % 2 == 0 ? ActivityDirection.Incoming : ActivityDirection.Outgoing;
                    activities.Add(TestData.Message(conversation, $"message {n}.{j}.{k}", conversation.LastActivityAt.AddMinutes(-(k == 2 ? 1 : k)), direction));
                }
            }
        }

        await fixture.ArrangeAsync(db =>
        {
            db.AddRange(lines);
            db.AddRange(contacts);
            db.AddRange(conversations);
            db.AddRange(activities);
            return Task.CompletedTask;
        });
    }
}
