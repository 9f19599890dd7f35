using System.Net;
using System.Net.Http.Json;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Auth;

/// <summary>
/// Own host with tight limits, so the shared host's generous ones never interfere with other tests; in the shared
/// collection all the same, because it writes to the same database.
/// </summary>
[Collection(nameof(PostgresCollection))]
public sealed class RateLimitAndHeaderTests : IDisposable
{
    private readonly CrmApiFactory _factory = new(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Crm"] = PostgresFixture.ConnectionString,
        ["Crm:MigrateOnStartup"] = "false",
        ["Auth:LoginAttemptsPerMinute"] = "3",
        ["Auth:RequestsPerMinute"] = "5",
    });

    [Fact]
    public async Task LoginIsRateLimitedPerClientWithRetryAfter()
    {
        using var client = _factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            last?.Dispose();
            last = await client.PostAsJsonAsync("/auth/login", new { email = "nobody@example.com", password = "whatever-it-is" });
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(last!.Headers.RetryAfter is not null);
        last.Dispose();
    }

    [Fact]
    public async Task GraphQLRequestsAreRateLimitedPerCaller()
    {
        using var client = _factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.PostAsJsonAsync("/graphql", new { query = "{ __typename }" });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    public void Dispose() => _factory.Dispose();
}
