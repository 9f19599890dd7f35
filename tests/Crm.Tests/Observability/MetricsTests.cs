using System.Net;
using System.Net.Http.Headers;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Observability;

/// <summary>/metrics: served only with a token, refused without it, and listing the plan's metrics after real traffic.</summary>
/// <remarks>In the shared database's collection: its gauge sampler reads tables that other tests' resets truncate.</remarks>
[Collection(nameof(PostgresCollection))]
public sealed class MetricsTests
{
    private const string Token = "scrape-token-for-tests-1";

    [Fact]
    public async Task AScrapeWithTheTokenListsTheBusinessAndPlatformMetricsAndOneWithoutItIsRefused()
    {
        var settings = PostgresFixture.Settings();
        settings["Metrics:Token"] = Token;
        await using var host = new CrmApiFactory(settings);
        using var http = host.CreateClient();
        using var delivered = await new WebhookSender(http).PostLegacyAsync(WebhookSender.Sample("message.received.json"));
        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        using var refused = await new WebhookSender(http).PostLegacyAsync(WebhookSender.Sample("message.received.json"), key: WebhookSender.UnknownKey);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var anonymous = await http.GetAsync("/metrics");
        using var wrong = await ScrapeAsync(http, "not-the-token");
        using var scrape = await ScrapeAsync(http, Token);
        var text = await scrape.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.All(
            new[]
            {
                "crm_webhooks_stored_total", "crm_webhooks_outcomes_total", "crm_webhooks_rejected_total",
                "crm_outbound_queue_depth", "crm_outbound_oldest_age_seconds", "crm_webhooks_backlog",
                "http_server_request_duration_seconds", "db_client_connection", "dotnet_gc_",
            },
            name => Assert.Contains(name, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutATokenThereIsNoMetricsEndpoint()
    {
        await using var host = new CrmApiFactory(PostgresFixture.Settings());
        using var http = host.CreateClient();
        using var response = await ScrapeAsync(http, "anything");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> ScrapeAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }
}
