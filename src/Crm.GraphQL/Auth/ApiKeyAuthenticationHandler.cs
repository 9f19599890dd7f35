using System.Text.Encodings.Web;
using Crm.Data.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Auth;

/// <summary>
/// <c>Authorization: Bearer crm_…</c>. Checked against the database, or a check of the last <c>Auth:ApiKeyCacheDuration</c>
/// (<see cref="ApiKeyCache"/>) that a revocation ends at once, so a revoked key fails on its next request.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var keys = Context.RequestServices.GetRequiredService<ApiKeyOperations>();
        var key = await keys.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        return key is null
            ? AuthenticateResult.Fail("Unknown or revoked API key.")
            : AuthenticateResult.Success(new AuthenticationTicket(CrmPrincipal.ForApiKey(key, SchemeName), SchemeName));
    }
}
