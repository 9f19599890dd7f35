using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Crm.GraphQL.Admin;

/// <summary>
/// Serves <c>clients/admin-static</c> (copied beside the binary) at <c>/admin/</c>. The page routes in the URL's
/// fragment (<c>/admin/#/c/…</c>), so the server only ever serves real files and needs no fallback for deep links.
/// </summary>
internal static class AdminPage
{
    public const string Path = "/admin";

    public static void MapAdminPage(this WebApplication app)
    {
        var root = System.IO.Path.Combine(AppContext.BaseDirectory, "admin-static");
        var files = new PhysicalFileProvider(root);
        var types = new FileExtensionContentTypeProvider();
        // A browser runs an ES module only when it comes as JavaScript: say so, whatever the platform's MIME table holds.
        types.Mappings[".js"] = "text/javascript; charset=utf-8";
        types.Mappings[".mjs"] = "text/javascript; charset=utf-8";
        // The vendored libraries' licences and notes are served beside them.
        types.Mappings[".md"] = "text/markdown; charset=utf-8";
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments(Path))
            {
                // The admin page holds a staff session: no inline or third-party script, no framing (the other headers
                // every response gets: UseCrmSecurity).
                http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(http.Request);
            }

            await next(http);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = Path });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            ContentTypeProvider = types,
            // Every file is revalidated on every load (the ETag makes that a 304), so a deploy is seen at the next
            // load: the modules import each other by plain names, and a cached old module next to a new one would break.
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
        });
        app.MapGet("/", () => Results.Redirect(Path + "/"));
    }

    /// <summary>
    /// 'self' covers ws: and wss: of the same host in CSP Level 3, but not in every browser in use: both are named.
    /// Recordings, voicemails and MMS pictures are OpenPhone's https URLs; media and images cannot run script.
    /// </summary>
    private static string ContentSecurityPolicy(HttpRequest request)
    {
        var host = request.Host.Value;
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; media-src 'self' https:; "
            + $"connect-src 'self' ws://{host} wss://{host}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";
    }
}
