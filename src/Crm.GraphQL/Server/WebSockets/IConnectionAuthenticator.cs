using System.Security.Claims;
using System.Text.Json;

namespace Crm.GraphQL.Server.WebSockets;

/// <summary>
/// Implemented by the host: who a GraphQL WebSocket belongs to, decided at its <c>connection_init</c>. Browsers cannot
/// set headers on a WebSocket, so the init payload may carry credentials; without them the upgrade request's user counts.
/// </summary>
internal interface IConnectionAuthenticator
{
    /// <summary>The principal every operation of the socket runs as, or null to refuse the socket (close 4403).</summary>
    /// <param name="upgrade">The upgrade request, authenticated like any request.</param>
    /// <param name="payload">The <c>connection_init</c> payload: absent, or a JSON object.</param>
    /// <param name="cancellationToken">Ends with the socket.</param>
    Task<ClaimsPrincipal?> AuthenticateAsync(HttpContext upgrade, JsonElement? payload, CancellationToken cancellationToken);
}
