using System.Text.Json;
using Crm.Data.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.GraphQL.Auth;

/// <summary>Session login and logout for the admin page. Integrators use API keys instead.</summary>
internal static class AuthEndpoints
{
    public sealed record LoginRequest(string? Email, string? Password);

    public sealed record SessionUser(string Email, string DisplayName, string Role);

    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth");
        auth.MapPost("/login", LoginAsync).RequireRateLimiting(AuthSetup.LoginPolicy).DisableAntiforgery();
        auth.MapPost("/logout", (Delegate)LogoutAsync);
    }

    private static async Task<Results<Ok<SessionUser>, UnauthorizedHttpResult, BadRequest<string>>> LoginAsync(HttpContext http, UserOperations users)
    {
        LoginRequest? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync<LoginRequest>(http.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            request = null;
        }

        if (request?.Email is not { Length: > 0 and <= 254 } email || request.Password is not { Length: > 0 and <= 512 } password)
        {
            return TypedResults.BadRequest("Send JSON {\"email\", \"password\"}.");
        }

        // One answer for unknown user, wrong password and lockout: the response must not reveal which accounts exist.
        var result = await users.LoginAsync(email, password, http.ToActor());
        if (result.Outcome != LoginOutcome.Succeeded)
        {
            return TypedResults.Unauthorized();
        }

        var user = result.User!;
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, CrmPrincipal.ForUser(user, CookieAuthenticationDefaults.AuthenticationScheme));
        return TypedResults.Ok(new SessionUser(user.Email!, user.DisplayName, user.Role.ToString().ToUpperInvariant()));
    }

    private static async Task<NoContent> LogoutAsync(HttpContext http)
    {
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }
}
