using System.Text.Json.Nodes;
using Crm.Data.Events;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Subscriptions;

/// <summary>
/// A subscription group that falls a whole event buffer behind has lost events for every member: each is told, with a
/// next whose error is EVENTS_DROPPED and then complete, so its client refetches instead of showing a stale page.
/// </summary>
public sealed class EventsDroppedTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    // A document of its own, so that only this test's subscribers are in the group.
    private const string Query = "subscription DroppedGroup { conversationUpdated { id } }";

    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task InProcessEveryMemberOfAnOverflowingGroupIsToldEventsWereDroppedThenCompleted()
    {
        await AssertEveryMemberIsToldAsync(redis: false);
    }

    [Fact]
    public async Task ThroughRedisEveryMemberOfAnOverflowingGroupIsToldEventsWereDroppedThenCompleted()
    {
        await AssertEveryMemberIsToldAsync(redis: true);
    }

    private async Task AssertEveryMemberIsToldAsync(bool redis)
    {
        var settings = PostgresFixture.Settings();
        settings["Events:BufferCapacity"] = "1";
        if (redis)
        {
            settings["ConnectionStrings:Redis"] = Environment.GetEnvironmentVariable("CRM_TEST_REDIS");
        }

        await SubscriptionEventTests.ArrangeTwoConversationsAsync(Fixture);
        var conversationId = await Fixture.QueryAsync(db => db.Conversations.Select(c => c.Id).FirstAsync());
        await using var host = new CrmApiFactory(settings);
        await using var first = await TransportWsClient.ConnectAndInitAsync(host, AdminKey);
        await using var second = await TransportWsClient.ConnectAndInitAsync(host, AdminKey);
        await first.SubscribeAsync("a", Query);
        await first.SyncAsync();
        await second.SubscribeAsync("b", Query);
        await second.SyncAsync();
        using var http = host.CreateClient();
        using var sse = await http.SendAsync(SubscriptionEventTests.SseRequest(Query, AdminKey), HttpCompletionOption.ResponseHeadersRead);
        using var stream = new StreamReader(await sse.Content.ReadAsStreamAsync());

        // Each event costs the group an execution; published back to back, they pile up past a buffer of one.
        var bus = host.Services.GetRequiredService<IEventBus>();
        for (var i = 0; i < 500; i++)
        {
            await bus.PublishAsync(new ConversationUpdated(conversationId), CancellationToken.None);
        }

        await AssertToldAsync(first);
        await AssertToldAsync(second);
        while (await SubscriptionEventTests.ReadEventAsync(stream) is var (name, data) && !data.Contains("errors", StringComparison.Ordinal))
        {
            Assert.Equal("next", name);
        }

        Assert.Equal("complete", (await SubscriptionEventTests.ReadEventAsync(stream)).Name);
    }

    private static async Task AssertToldAsync(TransportWsClient ws)
    {
        JsonNode message;
        while ((message = await ws.ReceiveAsync())["payload"]?["errors"] is null)
        {
            Assert.Equal("next", message["type"]!.GetValue<string>()); // the events executed before the overflow
        }

        Assert.Equal("next", message["type"]!.GetValue<string>());
        Assert.Equal("EVENTS_DROPPED", message["payload"]!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Equal("complete", (await ws.ReceiveAsync())["type"]!.GetValue<string>());
    }
}
