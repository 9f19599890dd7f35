using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Crm.Data.Events;

/// <summary>The bus of a single process: a publish is handed straight to this process's subscribers.</summary>
public sealed class InProcessEventBus(IOptions<EventBusOptions> options) : IEventBus
{
    private static readonly Meter Meter = new("Crm.Events");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("crm.events.published");

    private readonly EventFanOut _fanOut = new(options.Value.BufferCapacity);

    /// <summary>Subscribers listening on a topic now: for diagnostics, and for tests that prove nothing leaks.</summary>
    public int SubscriberCount(string topic) => _fanOut.SubscriberCount(topic);

    public ValueTask PublishAsync(CrmEvent crmEvent, CancellationToken cancellationToken)
    {
        _fanOut.Deliver(crmEvent);
        Published.Add(1, new KeyValuePair<string, object?>("topic", crmEvent.Topic));
        return ValueTask.CompletedTask;
    }

    public IAsyncEnumerable<CrmEvent> SubscribeAsync(string topic, CancellationToken cancellationToken) => _fanOut.SubscribeAsync(topic, cancellationToken);
}
