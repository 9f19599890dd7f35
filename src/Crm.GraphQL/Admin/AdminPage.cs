using Microsoft.Extensions.FileProviders;

namespace Crm.GraphQL.Admin;

/// <summary>Serves <c>clients/admin-static</c> (copied beside the binary) at <c>/admin/</c>.</summary>
internal static class AdminPage
{
    public static void MapAdminPage(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "admin-static");
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "/admin" });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = "/admin" });
        app.MapGet("/", () => Results.Redirect("/admin/"));
    }
}
