using System.Security.Claims;
using Crm.Data.Events;
using Crm.GraphQL.Server.Subscriptions;

namespace Crm.GraphQL.Auth;

/// <summary>
/// Sockets and event streams authenticate once, at their start; this ends them when their principal's access changes
/// (<see cref="AccessChanged"/>), on whichever instance the change was made.
/// </summary>
internal sealed class AccessWatch(IEventBus bus) : IAccessWatch
{
    /// <remarks>Both buses register the local listener before the first await: a change published on this instance after the call is seen.</remarks>
    public async Task WatchAsync(Func<ClaimsPrincipal> principal, Action revoked, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(revoked);
        try
        {
            await foreach (var crmEvent in bus.SubscribeAsync(AccessChanged.TopicName, cancellationToken))
            {
                if (crmEvent is AccessChanged changed && changed.PrincipalId == principal().Id())
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
        catch (EventsDroppedException)
        {
            // Events were lost, perhaps the one that concerns this principal: fail closed, so it authenticates again.
            revoked();
        }
    }
}
