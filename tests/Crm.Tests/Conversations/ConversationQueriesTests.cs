using Crm.Data.Activities;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Snapshooter.Xunit;

namespace Crm.Tests.Conversations;

public sealed class ConversationQueriesTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task TheInboxListsConversationsNewestActivityFirstWithContactAndLastActivity()
    {
        var line = TestData.Line();
        var older = TestData.Contact(1, "Ann", "Older");
        var newer = TestData.Contact(2, "Ben", "Newer");
        var first = TestData.Conversation(older, line, TestData.Epoch);
        var second = TestData.Conversation(newer, line, TestData.Epoch.AddHours(2));
        var messages = new[]
        {
            TestData.Message(first, "Is Thursday still good?", TestData.Epoch),
            TestData.Message(second, "We can come Friday.", TestData.Epoch.AddHours(1), ActivityDirection.Outgoing),
            TestData.Message(second, "Friday works!", TestData.Epoch.AddHours(2)),
        };
        first.LastActivityId = messages[0].Id;
        second.LastActivityId = messages[2].Id;
        second.UnreadCount = 1;
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, older, newer, first, second);
            db.AddRange(messages);
            return Task.CompletedTask;
        });

        var response = await Client.PostAsync("""
            {
              conversations(first: 10) {
                totalCount
                nodes {
                  unread status lastActivityAt
                  contact { displayName phone }
                  phoneNumber { number name }
                  lastActivity { kind direction body status openPhoneStatus occurredAt }
                  activities(first: 5) { nodes { kind direction body occurredAt } }
                }
              }
            }
            """);

        Snapshot.Match(response.Snapshot);
    }

    [Fact]
    public async Task AConversationIsFoundByItsIdAndTheIdOfAnotherTypeIsRefused()
    {
        var line = TestData.Line();
        var contact = TestData.Contact(1);
        var conversation = TestData.Conversation(contact, line, TestData.Epoch);
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, conversation);
            return Task.CompletedTask;
        });

        var found = await Client.DataAsync("query($id: ID!) { conversation(id: $id) { contact { displayName } } }", new { id = NodeId.Encode("Conversation", conversation.Id) });
        var missing = await Client.DataAsync("query($id: ID!) { conversation(id: $id) { id } }", new { id = NodeId.Encode("Conversation", Guid.CreateVersion7()) });
        var wrongType = await Client.PostAsync("query($id: ID!) { conversation(id: $id) { id } }", new { id = NodeId.Encode("Contact", contact.Id) });

        Assert.Equal("First001 Last001", found["conversation"]!["contact"]!["displayName"]!.GetValue<string>());
        Assert.Null(missing["conversation"]);
        Assert.Equal("INVALID_ID", wrongType.ErrorCode);
    }

    [Fact]
    public async Task AContactListsItsConversationsAndFallsBackToItsPhoneForADisplayName()
    {
        var line = TestData.Line();
        var contact = TestData.Contact(7);
        contact.FirstName = null;
        contact.LastName = null;
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, TestData.Conversation(contact, line, TestData.Epoch));
            return Task.CompletedTask;
        });

        var data = await Client.DataAsync("query($id: ID!) { contact(id: $id) { displayName conversations { totalCount nodes { phoneNumber { number } } } } }", new { id = NodeId.Encode("Contact", contact.Id) });

        Assert.Equal("""{"displayName":"(617) 555-0007","conversations":{"totalCount":1,"nodes":[{"phoneNumber":{"number":"+16175550100"}}]}}""", GraphQLClient.Compact(data["contact"]));
    }
}
