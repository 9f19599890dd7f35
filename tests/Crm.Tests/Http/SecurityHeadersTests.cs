using System.Net.Http.Json;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Http;

/// <summary>What every response says about itself, and whose address the server believes behind a platform's proxy.</summary>
public sealed class SecurityHeadersTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/graphql?query=%7B__typename%7D")]
    public async Task EveryResponseIsNeitherSniffedNorFramedNorLeaksAReferrer(string path)
    {
        using var response = await Client.Http.GetAsync(path);

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Theory]
    [InlineData("true", "203.0.113.7")]
    [InlineData(null, null)]
    public async Task TheClientsAddressComesFromTheProxyOnlyWhenForwardedHeadersAreEnabled(string? enabled, string? expected)
    {
        var settings = PostgresFixture.Settings();
        settings["FORWARDEDHEADERS_ENABLED"] = enabled;
        await using var host = new CrmApiFactory(settings);
        using var http = host.CreateClient();
        var email = $"nobody{Guid.NewGuid():N}@example.com";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { email, password = "Wrong-Password-123" }) };
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);

        var admin = await Fixture.ClientAsAsync(CrmRole.Admin);
        var log = await admin.DataAsync("{ auditLog(action: \"login.failed\", first: 20) { nodes { actorName ipAddress } } }");
        var entry = log["auditLog"]!["nodes"]!.AsArray().Single(n => n!["actorName"]?.GetValue<string>() == email)!;
        Assert.Equal(expected, entry["ipAddress"]?.GetValue<string>());
    }
}
