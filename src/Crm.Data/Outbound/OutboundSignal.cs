using Crm.Data.Events;

namespace Crm.Data.Outbound;

/// <summary>Wakes every waiting sender worker of this instance: a text was queued here or on another instance (<see cref="OutboxQueued"/>), or the sweep ran.</summary>
public sealed class OutboundSignal
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>The wake to wait for; taken before looking for work, so a wake while looking is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Wake() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
