using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Subscriptions;

/// <summary>The legacy Apollo subprotocol <c>graphql-ws</c> (subscriptions-transport-ws) on the same endpoint.</summary>
public sealed class LegacyGraphQLWsTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Legacy = "graphql-ws";

    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task InitWithAKeyIsAcknowledgedThenKeptAliveAtOnceAndPeriodically()
    {
        var settings = PostgresFixture.Settings();
        settings["Subscriptions:KeepAliveInterval"] = "00:00:00.200";
        await using var host = new CrmApiFactory(settings);
        await using var ws = await TransportWsClient.ConnectAsync(host, subProtocols: Legacy);

        await ws.SendAsync(new { type = "connection_init", payload = new { apiKey = AdminKey } });

        Assert.Equal(Legacy, ws.Socket.SubProtocol);
        Assert.Equal("connection_ack", Type(await ws.ReceiveAsync(keepAlives: true)));
        Assert.Equal("ka", Type(await ws.ReceiveAsync(keepAlives: true)));
        Assert.Equal("ka", Type(await ws.ReceiveAsync(keepAlives: true)));
    }

    [Fact]
    public async Task WhenTheClientOffersBothTheCurrentProtocolIsChosen()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory, subProtocols: [Legacy, "graphql-transport-ws"]);

        Assert.Equal("graphql-transport-ws", ws.Socket.SubProtocol);
    }

    [Fact]
    public async Task StartedSubscriptionGetsDataAndAfterStopACompleteAndNothingMore()
    {
        var conversationId = await ArrangeConversationAsync();
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey, Legacy);
        await ws.SendAsync(new { id = "c", type = "start", payload = new { query = "subscription { conversationUpdated { id } }" } });
        await SyncAsync(ws, "s1");

        await MarkReadAsync(conversationId);
        var data = await ws.ReceiveAsync();
        await ws.SendAsync(new { id = "c", type = "stop" });
        var complete = await ws.ReceiveAsync();
        await MarkReadAsync(conversationId);

        Assert.Equal("""{"type":"data","id":"c","payload":{"data":{"conversationUpdated":{"id":"%ID%"}}}}""".Replace("%ID%", conversationId, StringComparison.Ordinal), GraphQLClient.Compact(data));
        Assert.Equal(("complete", "c"), (Type(complete), complete["id"]!.GetValue<string>()));
        // Events are enqueued before the mutation answers, so a stray data message would precede the sync's answer.
        await SyncAsync(ws, "s2");
    }

    [Fact]
    public async Task AQueryByStartIsOneDataThenComplete()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey, Legacy);

        await ws.SendAsync(new { id = "q", type = "start", payload = new { query = "query Me { me { role } }", operationName = "Me" } });
        var data = await ws.ReceiveAsync();
        var complete = await ws.ReceiveAsync();

        Assert.Equal("""{"type":"data","id":"q","payload":{"data":{"me":{"role":"ADMIN"}}}}""", GraphQLClient.Compact(data));
        Assert.Equal(("complete", "q"), (Type(complete), complete["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AnInvalidDocumentIsAnErrorMessageWithTheErrorsAndNoComplete()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey, Legacy);

        await ws.SendAsync(new { id = "1", type = "start", payload = new { query = "subscription { noSuchField }" } });
        var error = await ws.ReceiveAsync();
        await SyncAsync(ws, "s");

        Assert.Equal(("error", "1"), (Type(error), error["id"]!.GetValue<string>()));
        Assert.Contains("noSuchField", error["payload"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutCredentialsInitIsAConnectionErrorThenAClose()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory, subProtocols: Legacy);

        await ws.SendAsync(new { type = "connection_init", payload = new { } });
        var error = await ws.ReceiveAsync();

        Assert.Equal("""{"type":"connection_error","payload":{"message":"Forbidden"}}""", GraphQLClient.Compact(error));
        Assert.Equal(4403, await ws.ReceiveCloseAsync());
    }

    [Theory]
    [InlineData("""{"type":"subscribe","id":"7","payload":{"query":"{ me { role } }"}}""", "7")]
    [InlineData("""{"type":"ping"}""", null)]
    [InlineData("not json", null)]
    [InlineData("""{"type":"start","id":"8","payload":{"variables":{}}}""", "8")]
    public async Task AnUnknownOrMalformedMessageIsAnErrorMessageAndTheSocketStaysOpen(string message, string? id)
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey, Legacy);

        await ws.SendRawAsync(message);
        var error = await ws.ReceiveAsync();

        Assert.Equal("error", Type(error));
        Assert.Equal(id, error["id"]?.GetValue<string>());
        Assert.Equal("Invalid message received", error["payload"]![0]!["message"]!.GetValue<string>());
        await SyncAsync(ws, "s");
    }

    [Fact]
    public async Task StartBeforeInitIsAnErrorForThatOperation()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory, subProtocols: Legacy);

        await ws.SendAsync(new { id = "early", type = "start", payload = new { query = "{ me { role } }" } });
        var error = await ws.ReceiveAsync();

        Assert.Equal(("error", "early", "Unauthorized"), (Type(error), error["id"]!.GetValue<string>(), error["payload"]![0]!["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ConnectionTerminateClosesTheSocketNormally()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey, Legacy);

        await ws.SendAsync(new { type = "connection_terminate" });

        Assert.Equal((int)WebSocketCloseStatus.NormalClosure, await ws.ReceiveCloseAsync());
    }

    /// <summary>The legacy protocol has no ping: a query's complete proves every earlier message was handled.</summary>
    private static async Task SyncAsync(TransportWsClient ws, string id)
    {
        await ws.SendAsync(new { id, type = "start", payload = new { query = "{ __typename }" } });
        var data = await ws.ReceiveAsync();
        Assert.Equal(("data", id), (Type(data), data["id"]?.GetValue<string>()));
        var complete = await ws.ReceiveAsync();
        Assert.Equal(("complete", id), (Type(complete), complete["id"]!.GetValue<string>()));
    }

    private async Task MarkReadAsync(string conversationId) =>
        await Client.DataAsync("mutation($id: ID!) { markConversationRead(input: { id: $id }) { errors { __typename } } }", new { id = conversationId });

    private async Task<string> ArrangeConversationAsync()
    {
        var line = TestData.Line();
        var contact = TestData.Contact(1);
        var conversation = TestData.Conversation(contact, line, TestData.Epoch);
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, conversation);
            return Task.CompletedTask;
        });
        return Crm.GraphQL.Server.Conventions.NodeId.Encode("Conversation", conversation.Id);
    }

    private static string? Type(JsonNode message) => message["type"]?.GetValue<string>();
}
