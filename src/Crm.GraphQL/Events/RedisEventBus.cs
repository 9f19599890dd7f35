using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Crm.Data.Events;
using Crm.GraphQL.Server.Subscriptions;
using StackExchange.Redis;

namespace Crm.GraphQL.Events;

/// <summary>
/// The event bus across instances: events are published as JSON on Redis channel <c>crm:{topic}</c>; each process holds
/// one Redis subscription per topic while it has local subscribers (reference-counted) and fans each message out through
/// bounded per-subscriber channels, dropping a slow subscriber's oldest events as <see cref="InProcessEventBus"/> does.
/// </summary>
/// <remarks>
/// Redis down: publishing counts and logs the loss and returns at once (the webhook or mutation still succeeds; the
/// database is the truth and clients refetch). StackExchange.Redis reconnects by itself and restores its subscriptions;
/// a topic whose SUBSCRIBE failed while Redis was away is subscribed again when the connection is restored.
/// Lives in Crm.GraphQL so that Crm.Data does not know Redis.
/// </remarks>
internal sealed partial class RedisEventBus(IConfiguration configuration, ILogger<RedisEventBus> logger) : IEventBus, IDisposable
{
    public const string ChannelPrefix = "crm:";

    private static readonly Meter Meter = new("Crm.Events.Redis");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("crm.events.published");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("crm.events.publish_failed");
    private static readonly Dictionary<string, Type> EventTypes = typeof(CrmEvent).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(CrmEvent)) && !t.IsAbstract)
        .ToDictionary(t => t.Name, StringComparer.Ordinal);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _connection;

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
            var connection = await ConnectAsync();
            if (!connection.IsConnected)
            {
                // Waiting for a reconnect would hold the webhook request; the event is lost, the rows are not.
                Failed.Add(1, tag);
                LogRedisUnavailable(logger, crmEvent.Topic);
                return;
            }

            var message = JsonSerializer.Serialize(new Envelope(crmEvent.GetType().Name, JsonSerializer.SerializeToElement(crmEvent, crmEvent.GetType())));
            await connection.GetSubscriber().PublishAsync(RedisChannel.Literal(ChannelPrefix + crmEvent.Topic), message);
            Published.Add(1, tag);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Failed.Add(1, tag);
            LogPublishFailed(logger, crmEvent.Topic, ex);
        }
    }

    public async IAsyncEnumerable<CrmEvent> SubscribeAsync(string topic, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<CrmEvent>(new BoundedChannelOptions(InProcessEventBus.SubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        var entry = Join(topic, channel); // synchronous, so the local subscriber is registered before the first await
        BusReadiness.Report(entry.Ready.Task);
        try
        {
            await foreach (var crmEvent in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return crmEvent;
            }
        }
        finally
        {
            Leave(entry, channel);
            channel.Writer.TryComplete();
        }
    }

    private Topic Join(string topic, Channel<CrmEvent> channel)
    {
        Topic entry;
        var first = false;
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out entry!))
            {
                entry = new Topic(topic);
                _topics[topic] = entry;
                first = true;
            }

            entry.Channels.TryAdd(channel, 0);
        }

        if (first)
        {
            _ = SubscribeRedisAsync(entry);
        }

        return entry;
    }

    private void Leave(Topic entry, Channel<CrmEvent> channel)
    {
        bool last;
        lock (_gate)
        {
            entry.Channels.TryRemove(channel, out _);
            last = entry.Channels.IsEmpty && _topics.TryGetValue(entry.Name, out var current) && current == entry;
            if (last)
            {
                _topics.Remove(entry.Name);
                entry.Closed = true;
            }
        }

        if (last)
        {
            _ = UnsubscribeRedisAsync(entry);
        }
    }

    private async Task SubscribeRedisAsync(Topic entry)
    {
        try
        {
            var subscriber = (await ConnectAsync()).GetSubscriber();
            if (entry.Queue is { } earlier)
            {
                // A retry: drop whatever the failed attempt left registered, so events are not delivered twice.
                await earlier.UnsubscribeAsync();
            }

            // A message queue, not a handler: StackExchange.Redis runs handlers concurrently, and subscribers expect order.
            // Each topic entry has its own queue, so a late unsubscribe of a finished entry cannot remove a newer one's.
            var queue = await subscriber.SubscribeAsync(RedisChannel.Literal(ChannelPrefix + entry.Name));
            queue.OnMessage(message => Dispatch(entry, message.Message));
            lock (_gate)
            {
                entry.Queue = queue;
                entry.Subscribed = !entry.Closed;
            }

            if (entry.Closed)
            {
                await queue.UnsubscribeAsync();
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogSubscribeFailed(logger, entry.Name, ex);
        }
        finally
        {
            entry.Ready.TrySetResult(); // failed too: nobody should wait for a reconnect that may take minutes
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
            LogSubscribeFailed(logger, entry.Name, ex);
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

        if (crmEvent is null)
        {
            LogUnreadableMessage(logger, entry.Name);
            return;
        }

        foreach (var channel in entry.Channels.Keys)
        {
            channel.Writer.TryWrite(crmEvent); // DropOldest: succeeds unless the subscriber already left
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        if (_connection is { } connected)
        {
            return connected;
        }

        await _connecting.WaitAsync();
        try
        {
            if (_connection is null)
            {
                var options = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
                options.AbortOnConnectFail = false; // start and keep retrying while Redis is away
                options.BacklogPolicy = BacklogPolicy.FailFast; // never queue a publish behind a reconnect
                options.ConnectTimeout = 2000;
                var connection = await ConnectionMultiplexer.ConnectAsync(options);
                connection.ConnectionRestored += (_, _) => ResubscribeMissing();
                _connection = connection;
            }

            return _connection;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private void ResubscribeMissing()
    {
        List<Topic> missing;
        lock (_gate)
        {
            missing = [.. _topics.Values.Where(t => !t.Subscribed)];
        }

        foreach (var entry in missing)
        {
            _ = SubscribeRedisAsync(entry);
        }
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _connecting.Dispose();
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

    private sealed class Topic(string name)
    {
        public string Name { get; } = name;

        public ConcurrentDictionary<Channel<CrmEvent>, byte> Channels { get; } = new();

        public ChannelMessageQueue? Queue { get; set; }

        public bool Subscribed { get; set; }

        public bool Closed { get; set; }

        /// <summary>Completes when the first attempt to subscribe on Redis has ended.</summary>
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
