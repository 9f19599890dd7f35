using System.Security.Claims;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// Implemented by the host: what, of the caller, a subscription's results may depend on. Subscriptions that ask the
/// same with equal audiences share one event stream (<see cref="SharedSubscriptionExecutionStrategy"/>), so the
/// audience must hold all of the caller that the fields below the root depend on (for the CRM: the role).
/// </summary>
internal interface ISubscriptionAudience
{
    string? Of(ClaimsPrincipal? user);
}
