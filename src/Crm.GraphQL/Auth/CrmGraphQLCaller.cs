using System.Security.Claims;
using System.Text.Json;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Subscriptions;
using Crm.GraphQL.Server.WebSockets;

namespace Crm.GraphQL.Auth;

/// <summary>Who calls the GraphQL server kit, in the CRM's terms: a staff user or an API key, with a role.</summary>
internal sealed class CrmGraphQLCaller : IUserContextBuilder, ISubscriptionAudience, IConnectionAuthenticator
{
    /// <summary>The audit actor, read by <see cref="Schema.MutationConventions.Actor"/>.</summary>
    public Dictionary<string, object?> Build(HttpContext http) => new() { [nameof(Actor)] = http.ToActor() };

    /// <summary>
    /// The role: access is decided per root field, by role, before execution (<see cref="AccessValidationRule"/>), and
    /// nothing below a root field depends on who asks.
    /// </summary>
    public string? Of(ClaimsPrincipal? user) => user.Role()?.ToString();

    /// <summary>A key in the payload wins; otherwise the cookie or bearer header of the upgrade request.</summary>
    public async Task<ClaimsPrincipal?> AuthenticateAsync(HttpContext upgrade, JsonElement? payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upgrade);
        var key = ApiKeyFrom(payload);
        if (key is null)
        {
            return upgrade.User.Role() is null ? null : upgrade.User;
        }

        await using var scope = upgrade.RequestServices.CreateAsyncScope();
        var apiKey = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().AuthenticateAsync(key, cancellationToken);
        return apiKey is null ? null : CrmPrincipal.ForApiKey(apiKey, ApiKeyAuthenticationHandler.SchemeName);
    }

    /// <summary><c>{"apiKey":"crm_…"}</c> or <c>{"authorization":"Bearer crm_…"}</c>, as browser clients cannot set headers on a WebSocket.</summary>
    internal static string? ApiKeyFrom(JsonElement? payload)
    {
        if (payload is not { ValueKind: JsonValueKind.Object } map)
        {
            return null;
        }

        foreach (var property in map.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var value = property.Value.GetString()!;
            if (property.Name.Equals("apiKey", StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }

            if (property.Name.Equals("authorization", StringComparison.OrdinalIgnoreCase))
            {
                return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value["Bearer ".Length..].Trim() : value;
            }
        }

        return null;
    }
}
