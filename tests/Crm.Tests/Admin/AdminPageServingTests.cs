using System.Net;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Admin;

/// <summary>How <c>/admin/</c> is served: content types, revalidation after a deploy, and the security headers.</summary>
public sealed class AdminPageServingTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task TheAdminPageIsServed()
    {
        using var response = await Anonymous.Http.GetAsync("/admin/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data-app=\"crm-admin\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheBarePathRedirectsSoRelativeModuleUrlsResolveUnderAdmin()
    {
        using var client = Fixture.Factory.CreateClient(new() { AllowAutoRedirect = false });

        using var admin = await client.GetAsync("/admin");
        using var root = await client.GetAsync("/");

        Assert.Equal("/admin/", admin.Headers.Location?.OriginalString.Replace("http://localhost", "", StringComparison.Ordinal));
        Assert.Equal("/admin/", root.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/admin/app.js", "text/javascript")]
    [InlineData("/admin/vendor/lit-html/lit-html.js", "text/javascript")]
    [InlineData("/admin/vendor/graphql-ws/client.js", "text/javascript")]
    [InlineData("/admin/styles.css", "text/css")]
    public async Task ModulesAndStylesComeWithTheirContentType(string path, string type)
    {
        using var response = await Anonymous.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/admin/")]
    [InlineData("/admin/app.js")]
    public async Task EveryFileIsRevalidatedAndAnUnchangedOneIsA304(string path)
    {
        using var first = await Anonymous.Http.GetAsync(path);
        var etag = first.Headers.ETag;
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(etag!);
        using var second = await Anonymous.Http.SendAsync(again);

        Assert.True(first.Headers.CacheControl?.NoCache, $"Cache-Control: {first.Headers.CacheControl}");
        Assert.NotNull(etag);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task TheAdminPageCarriesAStrictContentSecurityPolicy()
    {
        using var response = await Anonymous.Http.GetAsync("/admin/");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ')[1..]);

        Assert.Equal(["'self'"], directives["default-src"]);
        Assert.Equal(["'self'"], directives["script-src"]);
        Assert.Equal(["'self'"], directives["style-src"]);
        Assert.Equal(["'self'", "ws://localhost", "wss://localhost"], directives["connect-src"]);
        Assert.Equal(["'none'"], directives["frame-ancestors"]);
        Assert.Equal(["'none'"], directives["object-src"]);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task ThePageHasNoInlineScriptAndLoadsNothingFromElsewhere()
    {
        var html = await Anonymous.Http.GetStringAsync("/admin/");

        Assert.Matches("<script type=\"module\" src=\"app.js\"></script>", html);
        Assert.DoesNotMatch("<script(?![^>]*\\ssrc=)", html);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
    }

    [Fact]
    public async Task AnUnknownFileIsA404NotThePage()
    {
        using var response = await Anonymous.Http.GetAsync("/admin/nope.js");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task VendoredLibrariesCarryTheirLicenceAndVersion()
    {
        foreach (var path in new[] { "lit-html/LICENSE.txt", "lit-html/VERSION.txt", "graphql-ws/LICENSE.md", "graphql-ws/VERSION.txt", "README.md" })
        {
            using var response = await Anonymous.Http.GetAsync("/admin/vendor/" + path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Contains("3.3.3", await Anonymous.Http.GetStringAsync("/admin/vendor/lit-html/VERSION.txt"), StringComparison.Ordinal);
        Assert.Contains("6.4.2", await Anonymous.Http.GetStringAsync("/admin/vendor/graphql-ws/VERSION.txt"), StringComparison.Ordinal);
    }
}
