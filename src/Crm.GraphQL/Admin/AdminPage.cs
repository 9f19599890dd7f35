using Microsoft.Extensions.FileProviders;

namespace Crm.GraphQL.Admin;

/// <summary>Serves <c>clients/admin-static</c> (copied beside the binary) at <c>/admin/</c>.</summary>
internal static class AdminPage
{
    public static void MapAdminPage(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "admin-static");
        var files = new PhysicalFileProvider(root);
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/admin"))
            {
                // The admin page holds a staff session: no inline or third-party script, no framing, no sniffing.
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
            }

            await next(http);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "/admin" });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = "/admin" });
        app.MapGet("/", () => Results.Redirect("/admin/"));
    }
}
