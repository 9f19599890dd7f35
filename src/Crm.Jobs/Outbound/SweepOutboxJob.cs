using Coravel.Invocable;
using Crm.Data.Outbound;

namespace Crm.Jobs.Outbound;

/// <summary>
/// Wakes this instance's sender every minute: a text queued through another instance, or left by one that died, is
/// found without waiting for the next enqueue here.
/// </summary>
public sealed class SweepOutboxJob(OutboundSignal signal) : IInvocable
{
    public Task Invoke()
    {
        signal.Wake();
        return Task.CompletedTask;
    }
}
