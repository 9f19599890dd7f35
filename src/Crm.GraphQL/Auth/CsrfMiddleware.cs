namespace Crm.GraphQL.Auth;

/// <summary>
/// A browser attaches the session cookie to cross-site requests, so cookie-authenticated calls must prove they are not
/// "simple" requests: a JSON body or a preflight header forces a CORS preflight that other origins cannot pass.
/// A CSV upload is multipart, which a cross-site form may send: it needs the header (or a same-origin Origin).
/// </summary>
internal sealed class CsrfMiddleware(RequestDelegate next)
{
    private static readonly string[] PreflightHeaders = ["GraphQL-Preflight", "GraphQL-Require-Preflight", "Apollo-Require-Preflight"];

    public async Task InvokeAsync(HttpContext http)
    {
        if (CookieAuthenticated(http) && !Safe(http.Request))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(
                """{"errors":[{"message":"Cookie-authenticated requests must be JSON POSTs from this site or carry a GraphQL-Preflight header.","extensions":{"code":"CSRF_PREFLIGHT_REQUIRED"}}]}""",
                http.RequestAborted);
            return;
        }

        await next(http);
    }

    private static bool CookieAuthenticated(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true
        && http.User.FindFirst(CrmPrincipal.KindClaim)?.Value == CrmPrincipal.UserKind
        && (http.Request.Path.StartsWithSegments("/graphql") || http.Request.Path.StartsWithSegments("/auth") || http.Request.Path.StartsWithSegments("/imports"));

    private static bool Safe(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0
            && (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        // A report download is a plain link that changes nothing; an upload from this site's own page carries its Origin.
        if (request.Path.StartsWithSegments("/imports") && (HttpMethods.IsGet(request.Method) || origin.Length > 0))
        {
            return true;
        }

        // A WebSocket cannot carry a preflight header, and browsers always send Origin on one: same-origin (checked above)
        // is what stops cross-site WebSocket hijacking.
        if (request.HttpContext.WebSockets.IsWebSocketRequest)
        {
            return true;
        }

        if (PreflightHeaders.Any(h => !string.IsNullOrEmpty(request.Headers[h])))
        {
            return true;
        }

        return HttpMethods.IsPost(request.Method)
            && request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
    }
}
