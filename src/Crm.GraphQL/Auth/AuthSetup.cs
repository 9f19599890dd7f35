using System.Threading.RateLimiting;
using Crm.Data.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.GraphQL.Auth;

internal static class AuthSetup
{
    public const string LoginPolicy = "login";
    public const string RequestPolicy = "requests";
    public const string SessionCookie = "crm_session";
    private const string SelectorScheme = "Crm";

    public static IHostApplicationBuilder AddCrmAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new();
        builder.Services.Replace(ServiceDescriptor.Singleton(sp => new ApiKeyCache(sp.GetRequiredService<TimeProvider>(), options.ApiKeyCacheDuration)));
        builder.Services.AddHostedService<ApiKeyCacheInvalidation>();

        builder.Services.AddAuthentication(SelectorScheme)
            // A bearer header means an integrator's key; anything else is the admin page's cookie.
            .AddPolicyScheme(SelectorScheme, null, o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.Count > 0 ? ApiKeyAuthenticationHandler.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(o =>
            {
                o.Cookie.Name = SessionCookie;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                o.ExpireTimeSpan = options.SessionIdleTimeout;
                o.SlidingExpiration = true;
                // An API answers 401/403; redirects to a login page are for server-rendered sites.
                o.Events.OnRedirectToLogin = ctx => Status(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => Status(ctx, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = ValidateSessionAsync;
            });

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (ctx, _) =>
            {
                if (ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    ctx.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                if (ctx.HttpContext.Request.Path.StartsWithSegments("/webhook"))
                {
                    Webhooks.WebhookMetrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", "RateLimited"));
                }

                return ValueTask.CompletedTask;
            };
            o.AddPolicy(LoginPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => Window(options.LoginAttemptsPerMinute)));
            o.AddPolicy(RequestPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.User.Id() is { } id ? $"principal:{id}" : $"ip:{http.Connection.RemoteIpAddress}",
                _ => Window(options.RequestsPerMinute)));
        });
        return builder;
    }

    /// <remarks>
    /// Behind a platform's TLS proxy (DigitalOcean App Platform) set <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>:
    /// ASP.NET Core then reads X-Forwarded-For and -Proto first, so rate limits and the audit log see the client's address
    /// and HSTS sees https. Only where the proxy alone can reach the app: any client could otherwise claim any address.
    /// </remarks>
    public static void UseCrmSecurity(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        // On every response, the API's JSON included: nothing sniffed, no referrer leaked, never framed. The admin page
        // adds its full Content-Security-Policy (AdminPage).
        app.Use((http, next) =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            if (!http.Request.Path.StartsWithSegments(Admin.AdminPage.Path))
            {
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            }

            return next(http);
        });

        app.UseWebSockets(); // /graphql answers graphql-transport-ws and legacy graphql-ws upgrades as well
        app.UseAuthentication();
        app.UseMiddleware<CsrfMiddleware>();
        app.UseRateLimiter();
    }

    private static FixedWindowRateLimiterOptions Window(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 };

    private static Task Status(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <summary>Ends a session at once when its user is deactivated or changed (role, password): the security stamp moves.</summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext ctx)
    {
        var users = ctx.HttpContext.RequestServices.GetRequiredService<UserManager<CrmUser>>();
        var user = ctx.Principal.Id() is { } id ? await users.FindByIdAsync(id.ToString()) : null;
        if (user is null || !user.IsActive || user.SecurityStamp != ctx.Principal!.FindFirst(CrmPrincipal.StampClaim)?.Value)
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}
