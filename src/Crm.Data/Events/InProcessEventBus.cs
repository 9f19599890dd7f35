using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Crm.Data.Events;

/// <summary>
/// One bounded channel per subscriber: a slow subscriber loses its oldest events rather than slowing the
/// publisher (the webhook request) or growing memory without bound.
/// </summary>
public sealed partial class InProcessEventBus(ILogger<InProcessEventBus> logger) : IEventBus
{
    public const int SubscriberCapacity = 1024;

    private static readonly Meter Meter = new("Crm.Events");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("crm.events.published");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("crm.events.publish_failed");

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<CrmEvent>, byte>> _subscribers = new(StringComparer.Ordinal);

    /// <summary>Subscribers listening on a topic now: for diagnostics, and for tests that prove nothing leaks.</summary>
    public int SubscriberCount(string topic) => _subscribers.TryGetValue(topic, out var channels) ? channels.Count : 0;

    public ValueTask PublishAsync(CrmEvent crmEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crmEvent);
        try
        {
            if (_subscribers.TryGetValue(crmEvent.Topic, out var channels))
            {
                foreach (var channel in channels.Keys)
                {
                    // DropOldest: TryWrite succeeds unless the channel is completed (its subscriber left).
                    channel.Writer.TryWrite(crmEvent);
                }
            }

            Published.Add(1, new KeyValuePair<string, object?>("topic", crmEvent.Topic));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            Failed.Add(1, new KeyValuePair<string, object?>("topic", crmEvent.Topic));
            LogPublishFailed(logger, crmEvent.Topic, ex);
        }

        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<CrmEvent> SubscribeAsync(string topic, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<CrmEvent>(new BoundedChannelOptions(SubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        var channels = _subscribers.GetOrAdd(topic, _ => new());
        channels.TryAdd(channel, 0);
        try
        {
            await foreach (var crmEvent in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return crmEvent;
            }
        }
        finally
        {
            channels.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing an event on {Topic} failed")]
    private static partial void LogPublishFailed(ILogger logger, string topic, Exception exception);
}
