using System.Diagnostics.Metrics;
using System.Text.Json;
using Crm.Data.Events;
using Crm.GraphQL.Server.Subscriptions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Crm.GraphQL.Events;

/// <summary>
/// The event bus across instances: events are published as JSON on Redis channel <c>crm:{topic}</c>; each process holds
/// one Redis subscription per topic while it has local subscribers, and hands what arrives to them through
/// <see cref="EventFanOut"/>, as <see cref="InProcessEventBus"/> does.
/// </summary>
/// <remarks>
/// Redis down: publishing counts and logs the loss and returns at once (the webhook or mutation still succeeds; the
/// database is the truth and clients refetch). StackExchange.Redis reconnects by itself and restores its subscriptions;
/// a topic whose SUBSCRIBE failed while Redis was away is subscribed again when the connection is restored — once:
/// a topic whose first SUBSCRIBE is still in flight is left to it, or two queues would deliver every event twice.
/// Lives in Crm.GraphQL so that Crm.Data does not know Redis.
/// </remarks>
internal sealed partial class RedisEventBus : IEventBus
{
    public const string ChannelPrefix = "crm:";

    private static readonly Meter Meter = new("Crm.Events.Redis");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("crm.events.published");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("crm.events.publish_failed");
    private static readonly Dictionary<string, Type> EventTypes = typeof(CrmEvent).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(CrmEvent)) && !t.IsAbstract)
        .ToDictionary(t => t.Name, StringComparer.Ordinal);

    private readonly RedisConnection _redis;
    private readonly ILogger<RedisEventBus> _logger;
    private readonly EventFanOut _fanOut;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    public RedisEventBus(RedisConnection redis, IOptions<EventBusOptions> options, ILogger<RedisEventBus> logger)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _logger = logger;
        _fanOut = new EventFanOut(options.Value.BufferCapacity, Listen, StopListening);
        redis.Restored += OnConnectionRestored;
    }

    /// <summary>Whether this process's Redis subscription for a topic is in place: for health and tests.</summary>
    public bool IsListening(string topic)
    {
        lock (_gate)
        {
            return _topics.TryGetValue(topic, out var entry) && entry.Subscribed;
        }
    }

    public async ValueTask PublishAsync(CrmEvent crmEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crmEvent);
        var tag = new KeyValuePair<string, object?>("topic", crmEvent.Topic);
        try
        {
            var connection = await _redis.GetAsync();
            if (!connection.IsConnected)
            {
                // Waiting for a reconnect would hold the webhook request; the event is lost, the rows are not.
                Failed.Add(1, tag);
                LogRedisUnavailable(_logger, crmEvent.Topic);
                return;
            }

            var message = JsonSerializer.Serialize(new Envelope(crmEvent.GetType().Name, JsonSerializer.SerializeToElement(crmEvent, crmEvent.GetType())));
            await connection.GetSubscriber().PublishAsync(RedisChannel.Literal(ChannelPrefix + crmEvent.Topic), message);
            Published.Add(1, tag);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Failed.Add(1, tag);
            LogPublishFailed(_logger, crmEvent.Topic, ex);
        }
    }

    public IAsyncEnumerable<CrmEvent> SubscribeAsync(string topic, CancellationToken cancellationToken) =>
        _fanOut.SubscribeAsync(topic, cancellationToken, joined: () => ReportReadiness(topic));

    /// <summary>A subscriber that joins while the topic's SUBSCRIBE is in flight waits for it too (<see cref="BusReadiness"/>).</summary>
    private void ReportReadiness(string topic)
    {
        lock (_gate)
        {
            if (_topics.TryGetValue(topic, out var entry))
            {
                BusReadiness.Report(entry.Ready.Task);
            }
        }
    }

    // The fan-out calls Listen and StopListening under its own lock, so they alternate per topic and must not block.
    private void Listen(string topic)
    {
        var entry = new Topic(topic);
        lock (_gate)
        {
            _topics[topic] = entry;
        }

        _ = SubscribeRedisAsync(entry);
    }

    private void StopListening(string topic)
    {
        Topic? entry;
        lock (_gate)
        {
            if (!_topics.Remove(topic, out entry))
            {
                return;
            }

            entry.Closed = true;
        }

        _ = UnsubscribeRedisAsync(entry);
    }

    private async Task SubscribeRedisAsync(Topic entry)
    {
        var retry = false;
        try
        {
            var subscriber = (await _redis.GetAsync()).GetSubscriber();
            // A message queue, not a handler: StackExchange.Redis runs handlers concurrently, and subscribers expect order.
            // Each topic entry has its own queue, so a late unsubscribe of a finished entry cannot remove a newer one's.
            var queue = await subscriber.SubscribeAsync(RedisChannel.Literal(ChannelPrefix + entry.Name));
            queue.OnMessage(message => Dispatch(entry, message.Message));
            bool closed;
            lock (_gate)
            {
                entry.Queue = queue;
                entry.InFlight = false;
                entry.Subscribed = !entry.Closed;
                closed = entry.Closed;
            }

            if (closed)
            {
                await queue.UnsubscribeAsync();
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogSubscribeFailed(_logger, entry.Name, ex);
            lock (_gate)
            {
                // The connection came back while this attempt was failing: nobody else will try until the next loss.
                retry = entry.RetryWanted && !entry.Closed;
                entry.RetryWanted = false;
                entry.InFlight = retry;
            }
        }
        finally
        {
            entry.Ready.TrySetResult(); // failed too: nobody should wait for a reconnect that may take minutes
        }

        if (retry)
        {
            await SubscribeRedisAsync(entry);
        }
    }

    private async Task UnsubscribeRedisAsync(Topic entry)
    {
        try
        {
            ChannelMessageQueue? queue;
            lock (_gate)
            {
                queue = entry.Queue;
            }

            if (queue is not null)
            {
                await queue.UnsubscribeAsync();
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogSubscribeFailed(_logger, entry.Name, ex);
        }
    }

    private void Dispatch(Topic entry, RedisValue value)
    {
        CrmEvent? crmEvent;
        try
        {
            var envelope = JsonSerializer.Deserialize<Envelope>(value.ToString());
            crmEvent = envelope is not null && EventTypes.TryGetValue(envelope.Type, out var type)
                ? (CrmEvent?)envelope.Event.Deserialize(type)
                : null;
        }
        catch (JsonException)
        {
            crmEvent = null;
        }

        if (crmEvent is null || crmEvent.Topic != entry.Name)
        {
            LogUnreadableMessage(_logger, entry.Name);
            return;
        }

        _fanOut.Deliver(crmEvent);
    }

    /// <summary>Subscribes again the topics whose SUBSCRIBE failed while Redis was away.</summary>
    internal void OnConnectionRestored()
    {
        List<Topic> missing = [];
        lock (_gate)
        {
            foreach (var entry in _topics.Values.Where(t => !t.Subscribed))
            {
                if (entry.InFlight)
                {
                    entry.RetryWanted = true;
                }
                else
                {
                    entry.InFlight = true;
                    missing.Add(entry);
                }
            }
        }

        foreach (var entry in missing)
        {
            _ = SubscribeRedisAsync(entry);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable: an event on {Topic} was not published")]
    private static partial void LogRedisUnavailable(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing an event on {Topic} to Redis failed")]
    private static partial void LogPublishFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to {Topic} on Redis failed; retried when the connection is restored")]
    private static partial void LogSubscribeFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An unreadable message arrived on Redis for {Topic}")]
    private static partial void LogUnreadableMessage(ILogger logger, string topic);

    private sealed record Envelope(string Type, JsonElement Event);

    /// <summary>This process's Redis subscription for one topic, from its first local subscriber to its last; guarded by the bus's lock.</summary>
    private sealed class Topic(string name)
    {
        public string Name { get; } = name;

        public ChannelMessageQueue? Queue { get; set; }

        public bool Subscribed { get; set; }

        /// <summary>A SUBSCRIBE is under way; it alone may set <see cref="Subscribed"/>.</summary>
        public bool InFlight { get; set; } = true;

        /// <summary>The connection was restored while <see cref="InFlight"/>: if that attempt fails, it tries once more.</summary>
        public bool RetryWanted { get; set; }

        public bool Closed { get; set; }

        /// <summary>Completes when the first attempt to subscribe on Redis has ended.</summary>
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
