using System.Security.Claims;
using Crm.Data.Audit;
using Crm.Data.Users;

namespace Crm.GraphQL.Auth;

/// <summary>The claims every authenticated caller carries, whether a staff session or an API key.</summary>
public static class CrmPrincipal
{
    public const string KindClaim = "crm:kind";
    public const string StampClaim = "crm:stamp";
    public const string UserKind = "user";
    public const string ApiKeyKind = "apikey";

    public static ClaimsPrincipal ForUser(CrmUser user, string scheme)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(new ClaimsIdentity(
            [
                new(ClaimTypes.NameIdentifier, user.Id.ToString()),
                new(ClaimTypes.Name, user.Email ?? string.Empty),
                new(ClaimTypes.Role, user.Role.ToString()),
                new(KindClaim, UserKind),
                new(StampClaim, user.SecurityStamp ?? string.Empty),
            ],
            scheme));
    }

    public static ClaimsPrincipal ForApiKey(ApiKey key, string scheme)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(new ClaimsIdentity(
            [
                new(ClaimTypes.NameIdentifier, key.Id.ToString()),
                new(ClaimTypes.Name, key.Name),
                new(ClaimTypes.Role, key.Role.ToString()),
                new(KindClaim, ApiKeyKind),
            ],
            scheme));
    }

    public static CrmRole? Role(this ClaimsPrincipal? principal) =>
        principal?.Identity?.IsAuthenticated == true && Enum.TryParse<CrmRole>(principal.FindFirstValue(ClaimTypes.Role), out var role) ? role : null;

    public static Guid? Id(this ClaimsPrincipal? principal) =>
        Guid.TryParse(principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    /// <summary>The caller as the audit log records it.</summary>
    public static Actor ToActor(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var user = http.User;
        var ip = http.Connection.RemoteIpAddress?.ToString();
        return user.Identity?.IsAuthenticated != true
            ? new Actor(AuditActorKind.Anonymous, null, null, ip)
            : new Actor(
                user.FindFirstValue(KindClaim) == ApiKeyKind ? AuditActorKind.ApiKey : AuditActorKind.User,
                user.Id(),
                user.FindFirstValue(ClaimTypes.Name),
                ip);
    }
}
