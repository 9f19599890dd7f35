using System.Security.Claims;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// Implemented by the host: sockets and event streams authenticate once, at their start; this tells them when the
/// principal they run as has lost its access, so they end and the client authenticates again.
/// </summary>
internal interface IAccessWatch
{
    /// <summary>
    /// Calls <paramref name="revoked"/> once if the principal <paramref name="principal"/> returns (read on every
    /// change: a socket's principal is set at its <c>connection_init</c>) loses its access before the token ends.
    /// A change made after the call must be seen, so the watch listens before its first await.
    /// </summary>
    Task WatchAsync(Func<ClaimsPrincipal> principal, Action revoked, CancellationToken cancellationToken);
}
