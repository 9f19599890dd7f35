using Crm.Data.Events;
using Crm.GraphQL.Events;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Tests.Subscriptions;

/// <summary>The slow-consumer policy of both buses: a subscriber that does not read loses its oldest events, others lose nothing.</summary>
[Collection(nameof(PostgresCollection))] // the Redis bus uses the Redis that the collection's tests share
public sealed class SlowConsumerTests
{
    private const int Extra = 100;

    [Fact]
    public async Task InProcessASlowSubscriberKeepsTheNewestEventsAndAFastOneGetsThemAll()
    {
        var bus = new InProcessEventBus(NullLogger<InProcessEventBus>.Instance);

        await AssertPolicyAsync(bus, () => Task.CompletedTask);
    }

    [Fact]
    public async Task ThroughRedisASlowSubscriberKeepsTheNewestEventsAndAFastOneGetsThemAll()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = Environment.GetEnvironmentVariable("CRM_TEST_REDIS") })
            .Build();
        using var bus = new RedisEventBus(configuration, NullLogger<RedisEventBus>.Instance);

        await AssertPolicyAsync(bus, () => TransportWsProtocolTests.WaitUntilAsync(() => bus.IsListening(ConversationUpdated.TopicName)));
    }

    private static async Task AssertPolicyAsync(IEventBus bus, Func<Task> listening)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ids = Enumerable.Range(0, InProcessEventBus.SubscriberCapacity + Extra).Select(_ => Guid.NewGuid()).ToList();
        await using var slow = bus.SubscribeAsync(ConversationUpdated.TopicName, cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = slow.MoveNextAsync(); // registers, then reads nothing until everything is published
        await listening();

        foreach (var id in ids)
        {
            await bus.PublishAsync(new ConversationUpdated(id), CancellationToken.None);
        }

        var received = new List<Guid>();
        while (await pending)
        {
            received.Add(((ConversationUpdated)slow.Current).ConversationId);
            if (received[^1] == ids[^1])
            {
                break;
            }

            pending = slow.MoveNextAsync();
        }

        // The buffer plus the few events already in flight to the reader, in publish order, ending with the newest:
        // what was dropped is the oldest.
        Assert.InRange(received.Count, InProcessEventBus.SubscriberCapacity, InProcessEventBus.SubscriberCapacity + (Extra / 2));
        Assert.Equal(ids[^InProcessEventBus.SubscriberCapacity..], received[^InProcessEventBus.SubscriberCapacity..]);
        Assert.Equal(received.OrderBy(ids.IndexOf), received);
    }
}
