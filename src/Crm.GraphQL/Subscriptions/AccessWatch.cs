using Crm.Data.Events;

namespace Crm.GraphQL.Subscriptions;

/// <summary>
/// Sockets and event streams authenticate once, at their start; this ends them when their principal's access changes
/// (<see cref="AccessChanged"/>), on whichever instance the change was made.
/// </summary>
internal static class AccessWatch
{
    /// <summary>Calls <paramref name="revoked"/> once if the principal that <paramref name="principalId"/> names loses its access before the token ends.</summary>
    /// <remarks>Both buses register the local listener before the first await: a change published on this instance after the call is seen.</remarks>
    public static async Task WatchAsync(IEventBus bus, Func<Guid?> principalId, Action revoked, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var crmEvent in bus.SubscribeAsync(AccessChanged.TopicName, cancellationToken))
            {
                if (crmEvent is AccessChanged changed && changed.PrincipalId == principalId())
                {
                    revoked();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The socket or stream ended first.
        }
    }
}
