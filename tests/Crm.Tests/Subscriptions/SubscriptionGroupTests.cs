using Crm.Data.Events;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Subscriptions;

/// <summary>Sockets that subscribe to the same thing share one stream: each still gets every event, and none depends on another.</summary>
public sealed class SubscriptionGroupTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    // Documents of their own, so that no other test's subscriber joins these groups.
    private const string ByIdQuery = "subscription GroupById($id: ID) { conversationUpdated(id: $id) { id status } }";

    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    private InProcessEventBus Bus => (InProcessEventBus)Fixture.Factory.Services.GetRequiredService<IEventBus>();

    [Fact]
    public async Task TwoSocketsShareOneBusSubscriberAndTheSecondKeepsReceivingAfterTheFirstLeaves()
    {
        var (id, _) = await SubscriptionEventTests.ArrangeTwoConversationsAsync(Fixture);
        var before = Bus.SubscriberCount(ConversationUpdated.TopicName);
        await using var second = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await using (var first = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey))
        {
            await first.SubscribeAsync("a", ByIdQuery, new { id });
            await first.SyncAsync();
            await second.SubscribeAsync("b", ByIdQuery, new { id });
            await second.SyncAsync();
            Assert.Equal(before + 1, Bus.SubscriberCount(ConversationUpdated.TopicName));

            await SetStatusAsync(id, "DONE");

            Assert.Equal("a", (await first.ReceiveAsync())["id"]!.GetValue<string>());
            Assert.Equal("b", (await second.ReceiveAsync())["id"]!.GetValue<string>());

            // The group's stream was created by the first subscriber's request: it must outlive it.
            await first.SendAsync(new { id = "a", type = "complete" });
            await first.SyncAsync();
        }

        await SetStatusAsync(id, "OPEN");

        var next = await second.ReceiveAsync();
        Assert.Equal("b", next["id"]!.GetValue<string>());
        Assert.Equal("OPEN", next["payload"]!["data"]!["conversationUpdated"]!["status"]!.GetValue<string>());
        Assert.Equal(before + 1, Bus.SubscriberCount(ConversationUpdated.TopicName));
    }

    [Fact]
    public async Task DifferentVariablesAreDifferentGroupsAndEachGetsOnlyItsOwnEvents()
    {
        var (one, other) = await SubscriptionEventTests.ArrangeTwoConversationsAsync(Fixture);
        await using var a = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await using var b = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await a.SubscribeAsync("a", ByIdQuery, new { id = one });
        await a.SyncAsync();
        await b.SubscribeAsync("b", ByIdQuery, new { id = other });
        await b.SyncAsync();

        await SetStatusAsync(other, "DONE");
        await SetStatusAsync(one, "DONE");

        Assert.Equal(one, (await a.ReceiveAsync())["payload"]!["data"]!["conversationUpdated"]!["id"]!.GetValue<string>());
        Assert.Equal(other, (await b.ReceiveAsync())["payload"]!["data"]!["conversationUpdated"]!["id"]!.GetValue<string>());
        // Events are enqueued before the mutation answers: a stray next for the other conversation would precede the pong.
        await b.SendAsync(new { type = "ping" });
        Assert.Equal("pong", (await b.ReceiveAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheLastMemberLeavingReleasesTheBusSubscription()
    {
        var before = Bus.SubscriberCount(ConversationUpdated.TopicName);
        var sockets = new List<TransportWsClient>();
        for (var i = 0; i < 3; i++)
        {
            var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
            sockets.Add(ws);
            await ws.SubscribeAsync("s", "subscription GroupRelease { conversationUpdated { id } }");
            await ws.SyncAsync();
        }

        Assert.Equal(before + 1, Bus.SubscriberCount(ConversationUpdated.TopicName));
        await sockets[0].DisposeAsync();
        await sockets[1].DisposeAsync();
        await sockets[2].SyncAsync();
        Assert.Equal(before + 1, Bus.SubscriberCount(ConversationUpdated.TopicName));

        await sockets[2].DisposeAsync();

        await TransportWsProtocolTests.WaitUntilAsync(() => Bus.SubscriberCount(ConversationUpdated.TopicName) == before);
    }

    private async Task SetStatusAsync(string id, string status) =>
        await Client.DataAsync($"mutation($id: ID!) {{ setConversationStatus(input: {{ id: $id, status: {status} }}) {{ errors {{ __typename }} }} }}", new { id });
}
