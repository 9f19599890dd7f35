using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Crm.Data.Events;

/// <summary>
/// The local half of every bus: hands each event of a topic to that topic's subscribers, each through a bounded buffer
/// of its own, so a slow subscriber never slows the publisher (a webhook request) nor grows memory without bound.
/// </summary>
/// <remarks>
/// A subscriber that falls a whole buffer behind has lost events: its stream ends with
/// <see cref="EventsDroppedException"/> at once, rather than carrying on with a gap nobody would notice, so that
/// whoever listens can say so and its clients refetch.
/// </remarks>
public sealed class EventFanOut(int capacity, Action<string>? firstJoined = null, Action<string>? lastLeft = null)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Subscriber[]> _topics = new(StringComparer.Ordinal);

    /// <summary>Subscribers listening on a topic now: for diagnostics, and for tests that prove nothing leaks.</summary>
    public int SubscriberCount(string topic)
    {
        lock (_gate)
        {
            return _topics.TryGetValue(topic, out var subscribers) ? subscribers.Length : 0;
        }
    }

    public void Deliver(CrmEvent crmEvent)
    {
        ArgumentNullException.ThrowIfNull(crmEvent);
        Subscriber[]? subscribers;
        lock (_gate)
        {
            _topics.TryGetValue(crmEvent.Topic, out subscribers);
        }

        foreach (var subscriber in subscribers ?? [])
        {
            subscriber.Offer(crmEvent);
        }
    }

    /// <summary>
    /// The topic's events until the token ends or the subscriber falls a buffer behind. The subscriber is registered,
    /// and <paramref name="joined"/> called, synchronously on the first <c>MoveNextAsync</c>: an event delivered after
    /// that call returns is seen.
    /// </summary>
    public async IAsyncEnumerable<CrmEvent> SubscribeAsync(string topic, [EnumeratorCancellation] CancellationToken cancellationToken, Action? joined = null)
    {
        var subscriber = new Subscriber(topic, capacity, Leave);
        Join(subscriber);
        joined?.Invoke();
        try
        {
            while (await subscriber.Events.WaitToReadAsync(cancellationToken))
            {
                // Checked before each event, not once the buffer is drained: what is still buffered is stale, and a
                // subscriber that is told at once refetches sooner than one that first works through the backlog.
                while (!subscriber.Overflowed && subscriber.Events.TryRead(out var crmEvent))
                {
                    yield return crmEvent;
                }

                if (subscriber.Overflowed)
                {
                    throw new EventsDroppedException(subscriber.Topic);
                }
            }
        }
        finally
        {
            Leave(subscriber);
        }
    }

    private void Join(Subscriber subscriber)
    {
        lock (_gate)
        {
            var first = !_topics.TryGetValue(subscriber.Topic, out var subscribers);
            _topics[subscriber.Topic] = [.. subscribers ?? [], subscriber];
            if (first)
            {
                firstJoined?.Invoke(subscriber.Topic);
            }
        }
    }

    private void Leave(Subscriber subscriber)
    {
        subscriber.Close();
        lock (_gate)
        {
            if (!_topics.TryGetValue(subscriber.Topic, out var subscribers) || Array.IndexOf(subscribers, subscriber) < 0)
            {
                return;
            }

            if (subscribers.Length > 1)
            {
                _topics[subscriber.Topic] = Array.FindAll(subscribers, s => s != subscriber);
                return;
            }

            _topics.Remove(subscriber.Topic);
            lastLeft?.Invoke(subscriber.Topic);
        }
    }

    private sealed class Subscriber
    {
        private readonly Channel<CrmEvent> _channel;
        private volatile bool _overflowed;

        public Subscriber(string topic, int capacity, Action<Subscriber> overflowed)
        {
            Topic = topic;
            _channel = Channel.CreateBounded<CrmEvent>(
                new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ =>
                {
                    // The buffer was full and lost its oldest event. The reader is told when it next looks; until then
                    // the subscriber is no longer offered events (nor, if it was the last, holds the topic open).
                    _overflowed = true;
                    overflowed(this);
                });
        }

        public string Topic { get; }

        public ChannelReader<CrmEvent> Events => _channel.Reader;

        public bool Overflowed => _overflowed;

        public void Offer(CrmEvent crmEvent)
        {
            // Fails only once the channel is complete: the subscriber left, or already overflowed.
            _channel.Writer.TryWrite(crmEvent);
        }

        public void Close() => _channel.Writer.TryComplete();
    }
}

/// <summary>A subscriber fell a whole buffer behind and lost events; whoever listens should refetch what it shows.</summary>
public sealed class EventsDroppedException(string topic)
    : Exception($"Events on {topic} were dropped because the subscriber fell behind; refetch.")
{
    public string Topic { get; } = topic;
}
