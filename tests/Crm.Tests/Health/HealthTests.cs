using System.Net;
using System.Text.Json.Nodes;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Health;

public sealed class HealthTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task LivenessAnswersWithoutTouchingDependencies()
    {
        using var response = await Client.Http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/health/ready")]
    [InlineData("/health")]
    public async Task ReadinessChecksTheDatabase(string path)
    {
        using var response = await Client.Http.GetAsync(path);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body["checks"]!["database"]!["status"]!.GetValue<string>());
    }
}

/// <summary>Readiness must tell the platform when a dependency is gone, without leaking why.</summary>
public sealed class UnreachableDatabaseHealthTests
{
    [Fact]
    public async Task ReadinessIs503WhenTheDatabaseIsUnreachable()
    {
        await using var factory = new CrmApiFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=2",
            ["Crm:MigrateOnStartup"] = "false",
        });
        using var client = factory.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var ready = await client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", JsonNode.Parse(body)!["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }
}
