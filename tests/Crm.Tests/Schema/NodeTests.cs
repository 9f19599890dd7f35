using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Schema;

public sealed class NodeTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task NodeAndNodesRefetchAnyEntityByItsGlobalIdInOneQueryPerType()
    {
        var line = TestData.Line();
        var contact = TestData.Contact(1);
        var conversation = TestData.Conversation(contact, line, TestData.Epoch);
        var message = TestData.Message(conversation, "hi", TestData.Epoch);
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, conversation, message);
            return Task.CompletedTask;
        });
        string[] ids =
        [
            NodeId.Encode("Activity", message.Id),
            NodeId.Encode("Contact", contact.Id),
            NodeId.Encode("Contact", Guid.CreateVersion7()),
            NodeId.Encode("Conversation", conversation.Id),
            NodeId.Encode("PhoneNumber", line.Id),
        ];
        using var sql = new SqlCommandCounter();

        var data = await Client.DataAsync("""
            query($id: ID!, $ids: [ID!]!) {
              node(id: $id) { __typename id ... on Contact { displayName } }
              nodes(ids: $ids) { __typename ... on Activity { body } ... on Contact { displayName } ... on Conversation { unread } ... on PhoneNumber { number } }
            }
            """, new { id = ids[1], ids });

        Assert.Equal(ids[1], data["node"]!["id"]!.GetValue<string>());
        Assert.Equal(
            """[{"__typename":"Activity","body":"hi"},{"__typename":"Contact","displayName":"First001 Last001"},null,{"__typename":"Conversation","unread":false},{"__typename":"PhoneNumber","number":"+16175550100"}]""",
            GraphQLClient.Compact(data["nodes"]));
        Assert.Equal(4, sql.Commands.Count(c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("bm90LWFuLWlk")]
    [InlineData("VXNlcjowMTlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Ng")]
    public async Task ForgedIdsAndIdsOfTypesNodeDoesNotServeAreRefused(string id)
    {
        var response = await Client.PostAsync("query($id: ID!) { node(id: $id) { id } }", new { id });

        Assert.Equal("INVALID_ID", response.ErrorCode);
    }
}
