using System.Net;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Tests.Infrastructure;
using Snapshooter.Xunit;

namespace Crm.Tests.Filtering;

public sealed class FilterAndOrderTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private async Task ArrangeAsync()
    {
        var line = TestData.Line();
        Contact[] contacts =
        [
            TestData.Contact(1, "Ann", "Smith"),
            TestData.Contact(2, "Bob", "Smythe"),
            TestData.Contact(3, "Cy", "Jones"),
            TestData.Contact(4, "Di", "100%_Real"),
            TestData.Contact(5, "Ed", "1000 Realty"),
            TestData.Contact(6, null, null),
        ];
        contacts[5].FirstName = null;
        contacts[5].LastName = null;
        foreach (var contact in contacts)
        {
            contact.Tags = [];
        }

        contacts[2].Tags = ["lead"];
        contacts[4].Tags = ["vip", "lead"];
        var conversations = contacts.Take(4).Select((c, i) => TestData.Conversation(c, line, TestData.Epoch.AddHours(i))).ToList();
        conversations[1].UnreadCount = 2;
        await Fixture.ArrangeAsync(db =>
        {
            db.Add(line);
            db.AddRange(contacts);
            db.AddRange(conversations);
            db.Add(TestData.Message(conversations[0], "Is the foundation crack covered?", TestData.Epoch));
            db.Add(TestData.Message(conversations[1], "Thanks, all good", TestData.Epoch, ActivityDirection.Outgoing));
            db.Add(TestData.Message(conversations[2], "FOUNDATION repair quote please", TestData.Epoch));
            return Task.CompletedTask;
        });
    }

    private async Task<string> ContactNamesAsync(string arguments)
    {
        var data = await Client.DataAsync($"{{ contacts({arguments}) {{ nodes {{ displayName }} }} }}");
        return string.Join(", ", data["contacts"]!["nodes"]!.AsArray().Select(n => n!["displayName"]!.GetValue<string>()));
    }

    private async Task<string> ConversationNamesAsync(string arguments)
    {
        var data = await Client.DataAsync($"{{ conversations({arguments}) {{ nodes {{ contact {{ displayName }} }} }} }}");
        return string.Join(", ", data["conversations"]!["nodes"]!.AsArray().Select(n => n!["contact"]!["displayName"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("where: { tags: { some: { eq: \"vip\" } } }", "Ed 1000 Realty")]
    [InlineData("where: { tags: { any: false } }, order: [{ firstName: ASC }]", "Ann Smith, Bob Smythe, Di 100%_Real, (617) 555-0006")]
    [InlineData("where: { lastName: { startsWith: \"sm\" } }, order: [{ lastName: DESC }]", "Bob Smythe, Ann Smith")]
    [InlineData("where: { lastName: { contains: \"%_\" } }", "Di 100%_Real")]
    [InlineData("where: { lastName: { contains: \"0%\" } }", "Di 100%_Real")]
    [InlineData("where: { or: [{ firstName: { eq: \"Cy\" } }, { lastName: { endsWith: \"THE\" } }] }, order: [{ firstName: ASC }]", "Bob Smythe, Cy Jones")]
    [InlineData("where: { and: [{ tags: { some: { eq: \"lead\" } } }, { firstName: { nin: [\"Ed\"] } }] }", "Cy Jones")]
    [InlineData("where: { firstName: { in: [\"Ann\", \"Di\"] } }, order: [{ firstName: DESC }]", "Di 100%_Real, Ann Smith")]
    [InlineData("where: { createdAt: { gt: \"2026-03-02T15:03:00Z\" } }, order: [{ createdAt: ASC }]", "Di 100%_Real, Ed 1000 Realty, (617) 555-0006")]
    [InlineData("where: { firstName: { eq: null } }", "(617) 555-0006")]
    [InlineData("where: { lastName: { neq: \"Smith\" } }, order: [{ lastName: ASC }]", "Di 100%_Real, Ed 1000 Realty, Cy Jones, Bob Smythe, (617) 555-0006")]
    [InlineData("where: { conversations: { some: { unread: { eq: true } } } }", "Bob Smythe")]
    [InlineData("where: { source: { eq: MANUAL } }, order: [{ lastName: ASC }], first: 2", "Di 100%_Real, Ed 1000 Realty")]
    public async Task ContactFiltersAndOrdersRunInTheDatabase(string arguments, string expected)
    {
        await ArrangeAsync();

        Assert.Equal(expected, await ContactNamesAsync(arguments));
    }

    [Theory]
    [InlineData("where: { contact: { lastName: { startsWith: \"Sm\" } } }, order: [{ contact: { lastName: ASC } }]", "Ann Smith, Bob Smythe")]
    [InlineData("where: { activities: { some: { body: { contains: \"foundation\" } } } }, order: [{ lastActivityAt: ASC }]", "Ann Smith, Cy Jones")]
    [InlineData("where: { activities: { none: { direction: { eq: OUTGOING } } }, unread: { eq: false } }, order: [{ contact: { firstName: DESC } }]", "Di 100%_Real, Cy Jones, Ann Smith")]
    [InlineData("where: { unreadCount: { gte: 1 } }", "Bob Smythe")]
    [InlineData("where: { status: { in: [OPEN] }, phoneNumber: { number: { eq: \"+16175550100\" } } }, order: [{ unreadCount: DESC }, { lastActivityAt: ASC }]", "Bob Smythe, Ann Smith, Cy Jones, Di 100%_Real")]
    public async Task ConversationFiltersReachIntoContactsAndTimelines(string arguments, string expected)
    {
        await ArrangeAsync();

        Assert.Equal(expected, await ConversationNamesAsync(arguments));
    }

    [Fact]
    public async Task ANestedFilterAndOrderReturnsTheExpectedPage()
    {
        await ArrangeAsync();

        var response = await Client.PostAsync("""
            {
              conversations(first: 3, where: { or: [{ contact: { tags: { some: { eq: "lead" } } } }, { activities: { some: { body: { contains: "crack" } } } }] },
                            order: [{ contact: { lastName: DESC } }]) {
                totalCount
                nodes { unread contact { displayName tags } lastActivityAt }
              }
            }
            """);

        Snapshot.Match(response.Snapshot);
    }

    [Fact]
    public async Task FiltersAreTranslatedToSql()
    {
        await ArrangeAsync();
        using var sql = new SqlCommandCounter();

        await Client.DataAsync("""
            {
              conversations(first: 10, where: { contact: { lastName: { startsWith: "Sm" }, tags: { some: { eq: "vip" } } }, activities: { some: { body: { contains: "foundation" } } } },
                            order: [{ contact: { lastName: ASC } }]) { nodes { id } }
            }
            """);

        Snapshot.Match(sql.Commands.Where(c => c.Contains("\"Conversations\"", StringComparison.Ordinal)).ToList());
    }

    [Theory]
    [InlineData("{ contacts(where: { shoeSize: { eq: 42 } }) { nodes { id } } }")]
    [InlineData("{ contacts(where: { lastName: { like: \"%x\" } }) { nodes { id } } }")]
    [InlineData("{ contacts(order: [{ tags: ASC }]) { nodes { id } } }")]
    [InlineData("{ contacts(where: { createdAt: { gt: \"yesterday\" } }) { nodes { id } } }")]
    public async Task UnknownFilterFieldsAndOperationsAreValidationErrors(string query)
    {
        using var sql = new SqlCommandCounter();

        var response = await Client.PostAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.All(sql.Commands, c => Assert.Contains("ApiKeys", c, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnIdFilterRejectsIdsOfAnotherType()
    {
        await ArrangeAsync();
        var conversationId = Crm.GraphQL.Server.Conventions.NodeId.Encode("Conversation", Guid.CreateVersion7());

        var response = await Client.PostAsync("query($id: ID!) { contacts(where: { id: { eq: $id } }) { nodes { id } } }", new { id = conversationId });

        Assert.Equal("INVALID_ID", response.ErrorCode);
    }

    [Fact]
    public async Task ACursorIsTiedToItsOrdering()
    {
        await ArrangeAsync();
        var page = await Client.DataAsync("{ contacts(first: 2, order: [{ lastName: ASC }]) { pageInfo { endCursor } } }");
        var cursor = page["contacts"]!["pageInfo"]!["endCursor"]!.GetValue<string>();

        var same = await Client.PostAsync("query($c: String) { contacts(after: $c, order: [{ lastName: ASC }]) { nodes { id } } }", new { c = cursor });
        var other = await Client.PostAsync("query($c: String) { contacts(after: $c, order: [{ firstName: ASC }]) { nodes { id } } }", new { c = cursor });

        Assert.Null(same.Json["errors"]);
        Assert.Equal("INVALID_CURSOR", other.ErrorCode);
    }
}
