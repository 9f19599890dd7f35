using Crm.Data.Events;
using Crm.GraphQL.Events;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Crm.Tests.Subscriptions;

/// <summary>
/// The slow-consumer policy of both buses, through their one fan-out: a subscriber may fall a whole buffer behind and
/// still get every event; one event more and its stream ends with <see cref="EventsDroppedException"/>, instead of
/// going on with a gap.
/// </summary>
[Collection(nameof(PostgresCollection))] // the Redis bus uses the Redis that the collection's tests share
public sealed class SlowConsumerTests
{
    private const int Capacity = 16;

    private static readonly IOptions<EventBusOptions> Options = Microsoft.Extensions.Options.Options.Create(new EventBusOptions { BufferCapacity = Capacity });

    [Fact]
    public async Task InProcessASubscriberAWholeBufferBehindLosesNothingAndOneMoreEndsItsStream()
    {
        var bus = new InProcessEventBus(Options);

        await AssertPolicyAsync(bus, () => Task.CompletedTask, () => bus.SubscriberCount(ConversationUpdated.TopicName) == 0);
    }

    [Fact]
    public async Task ThroughRedisASubscriberAWholeBufferBehindLosesNothingAndOneMoreEndsItsStream()
    {
        using var redis = Redis();
        var bus = new RedisEventBus(redis, Options, NullLogger<RedisEventBus>.Instance);

        await AssertPolicyAsync(bus, () => TransportWsProtocolTests.WaitUntilAsync(() => bus.IsListening(ConversationUpdated.TopicName)), () => !bus.IsListening(ConversationUpdated.TopicName));
    }

    internal static RedisConnection Redis() => new(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = Environment.GetEnvironmentVariable("CRM_TEST_REDIS") })
        .Build());

    private static async Task AssertPolicyAsync(IEventBus bus, Func<Task> listening, Func<bool> gone)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ids = Enumerable.Range(0, Capacity).Select(_ => Guid.NewGuid()).ToList();
        await using var slow = bus.SubscribeAsync(ConversationUpdated.TopicName, cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = slow.MoveNextAsync(); // registers, then reads nothing until everything is published
        await listening();

        // A whole buffer behind: nothing lost.
        foreach (var id in ids)
        {
            await bus.PublishAsync(new ConversationUpdated(id), CancellationToken.None);
        }

        var received = new List<Guid>();
        while (received.Count < ids.Count && await pending)
        {
            received.Add(((ConversationUpdated)slow.Current).ConversationId);
            pending = received.Count < ids.Count ? slow.MoveNextAsync() : default;
        }

        Assert.Equal(ids, received);

        // Now nobody reads: a whole buffer and one more. The subscriber leaves the topic (no more events offered to it,
        // no Redis subscription held for it), and its stream ends when the reader next looks.
        Assert.False(gone());
        foreach (var id in Enumerable.Range(0, Capacity + 1).Select(_ => Guid.NewGuid()))
        {
            await bus.PublishAsync(new ConversationUpdated(id), CancellationToken.None);
        }

        await TransportWsProtocolTests.WaitUntilAsync(gone);
        await Assert.ThrowsAsync<EventsDroppedException>(async () => await slow.MoveNextAsync());
    }
}
