namespace Crm.Data.Events;

/// <summary>Publishes committed facts to whoever listens: in this process (<see cref="InProcessEventBus"/>), or across instances through Redis (Crm.GraphQL).</summary>
public interface IEventBus
{
    /// <summary>Never throws for delivery problems: the database is the truth and a client that reconnects refetches.</summary>
    ValueTask PublishAsync(CrmEvent crmEvent, CancellationToken cancellationToken);

    /// <summary>Events of one topic from now on, until the token is cancelled.</summary>
    IAsyncEnumerable<CrmEvent> SubscribeAsync(string topic, CancellationToken cancellationToken);
}
