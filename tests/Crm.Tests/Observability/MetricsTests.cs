using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Crm.Data.Activities;
using Crm.Data.Campaigns;
using Crm.Data.Importing;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using YamlDotNet.RepresentationModel;

namespace Crm.Tests.Observability;

/// <summary>/metrics: served only with a token, refused without it, and listing the plan's metrics after real traffic.</summary>
/// <remarks>In the shared database's collection: its gauge sampler reads tables that other tests' resets truncate.</remarks>
[Collection(nameof(PostgresCollection))]
public sealed partial class MetricsTests
{
    private const string Token = "scrape-token-for-tests-1";

    /// <summary>
    /// The business metrics after one of each thing they count: a signed webhook and a forged one, a text sent and its
    /// delivery report (a campaign's text), a CSV import, an open subscription; and every metric the alert rules
    /// (deploy/alerts.yml) name is one this scrape lists.
    /// </summary>
    [Fact]
    public async Task AfterAWebhookASendAndAnImportTheScrapeListsEveryBusinessMetricAndEveryOneTheAlertsUse()
    {
        // The fake clock only moves the state sampler to its next reading; the rest runs on real round trips.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await OutboundHost.StartAsync(clock: clock, hostSettings: new Dictionary<string, string?>
        {
            ["Metrics:Token"] = Token,
            ["Imports:Workers"] = "1",
            ["SyntheticCheck:From"] = "PNsim00000",
            ["SyntheticCheck:To"] = "+16175550100",
        });
        var (line, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        var http = host.App.CreateClient();
        var webhooks = new WebhookSender(http, host.App.Services);

        using (var delivered = await webhooks.PostLegacyAsync(Webhooks.Payloads.WithEventId(WebhookSender.Sample("message.received.json"), "EVmetrics00000000000000000000000001")))
        using (var forged = await webhooks.PostLegacyAsync(WebhookSender.Sample("message.received.json"), key: WebhookSender.UnknownKey))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (delivered.StatusCode, forged.StatusCode));
        }

        using var stream = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent("""{"query":"subscription { messageReceived { id } }"}""") };
        stream.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        stream.Headers.Authorization = client.Http.DefaultRequestHeaders.Authorization;
        using var open = await http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);

        var sent = await client.DataAsync(
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { activity { id } errors { __typename } } }",
            new { input = new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Your estimate is ready." } });
        var activityId = NodeId.Decode(sent["sendMessage"]!["activity"]!["id"]!.GetValue<string>(), "Activity");
        var text = await host.WaitForAsync(activityId, MessageStatus.Sent);
        // The text is a campaign's: its delivery report is then a campaign delivery.
        await host.QueryAsync(async db =>
        {
            var campaign = new Campaign { Name = "Metrics", WindowStart = "09:00", WindowEnd = "18:00", Status = CampaignStatus.Completed };
            var variant = new CampaignVariant { CampaignId = campaign.Id, Label = "A", Body = "Your estimate is ready." };
            db.AddRange(campaign, variant);
            db.CampaignRecipients.Add(new CampaignRecipient { CampaignId = campaign.Id, ContactId = conversations[0].ContactId, VariantId = variant.Id, State = RecipientState.Queued, ActivityId = activityId });
            return await db.SaveChangesAsync();
        });
        var report = WebhookSender.Sample("message.delivered.json")
            .Replace("EVdefd85c2c3b740429cf28ade5b69bcba", "EVmetrics00000000000000000000000002", StringComparison.Ordinal)
            .Replace("ACcdcc2668c4134c3cbfdacb9e273cac6f", text.OpenPhoneId, StringComparison.Ordinal)
            .Replace("+18005550100", line.Number, StringComparison.Ordinal)
            .Replace("+18885550101", "+16175551000", StringComparison.Ordinal)
            .Replace("PNtoDbDhuz", host.LineId, StringComparison.Ordinal);
        using (var reported = await webhooks.PostLegacyAsync(report))
        {
            Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
        }

        await host.WaitForAsync(activityId, MessageStatus.Delivered);

        var importId = await Importing.Imports.QueueAsync(client.Http, "name,phone\nMetric Person,617-555-0299\n");
        for (var i = 0; i < 300 && (await host.QueryAsync(db => db.ImportJobs.AsNoTracking().SingleAsync(j => j.Id == importId))).Status is ImportStatus.Queued or ImportStatus.Running; i++)
        {
            await Task.Delay(50);
        }

        // A synthetic check whose webhook the simulator holds back (its reports wait an hour here): late at a run 6 min on.
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            var check = scope.ServiceProvider.GetRequiredService<Crm.Jobs.Maintenance.SyntheticWebhookCheckJob>();
            Assert.NotNull(await check.RunAsync(clock.GetUtcNow(), CancellationToken.None));
            await check.RunAsync(clock.GetUtcNow().AddMinutes(6), CancellationToken.None);
        }

        // The sampler's next reading (15 s on its clock), then a scrape that shows it.
        clock.Advance(TimeSpan.FromSeconds(16));
        string scrape;
        var tries = 0;
        do
        {
            await Task.Delay(tries++ == 0 ? 0 : 100);
            using var response = await ScrapeAsync(http, Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            scrape = await response.Content.ReadAsStringAsync();
        }
        while (tries < 100 && (Value(scrape, "crm_campaigns_delivery_rate") is null || Value(scrape, "graphql_subscriptions_open") is not > 0));

        // The meters are the process's: other tests' hosts may add to the counters, and the gauges read the shared database.
        using var anonymous = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.True(Value(scrape, "crm_webhooks_rejected_total", "reason=\"Mismatch\"") >= 1, scrape);
        Assert.True(Value(scrape, "crm_webhooks_stored_total") >= 2, scrape);
        Assert.True(Value(scrape, "crm_webhooks_outcomes_total", "status=\"Processed\"") >= 2, scrape);
        Assert.True(Value(scrape, "crm_outbound_sends_total", "outcome=\"sent\"") >= 1, scrape);
        Assert.True(Value(scrape, "crm_campaigns_deliveries_total", "outcome=\"delivered\"") >= 1, scrape);
        Assert.True(Value(scrape, "crm_campaigns_delivery_rate") is > 0 and <= 1, scrape);
        Assert.True(Value(scrape, "crm_imports_finished_total", "status=\"Succeeded\"") >= 1, scrape);
        Assert.True(Value(scrape, "graphql_subscriptions_open") >= 1, scrape);
        Assert.True(Value(scrape, "crm_outbound_queue_depth") is not null, scrape);
        Assert.True(Value(scrape, "crm_outbound_oldest_age_seconds") is not null, scrape);
        Assert.True(Value(scrape, "db_client_connection_count", "db_client_connection_state=\"used\"") is not null, scrape);
        Assert.True(Value(scrape, "db_client_connection_max") is not null, scrape);
        Assert.True(Value(scrape, "crm_synthetic_checks_total", "outcome=\"late\"") >= 1, scrape);

        var listed = MetricLine().Matches(scrape).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var used = AlertRuleMetrics();
        Assert.NotEmpty(used);
        // `up` is Prometheus's own, about the scrape itself.
        var missing = used.Where(name => name != "up" && !listed.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"The alert rules read metrics /metrics does not list: {string.Join(", ", missing)}\n{scrape}");
    }

    [Fact]
    public async Task AScrapeWithTheTokenListsTheBusinessAndPlatformMetricsAndOneWithoutItIsRefused()
    {
        var settings = PostgresFixture.Settings();
        settings["Metrics:Token"] = Token;
        await using var host = new CrmApiFactory(settings);
        using var http = host.CreateClient();
        using var delivered = await new WebhookSender(http, host.Services).PostLegacyAsync(WebhookSender.Sample("message.received.json"));
        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        using var refused = await new WebhookSender(http).PostLegacyAsync(WebhookSender.Sample("message.received.json"), key: WebhookSender.UnknownKey);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // The meters are the process's: other tests' hosts may add to the counters, and the gauges read the shared database.
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

    /// <summary>The metric names deploy/alerts.yml's expressions read: identifiers that are neither functions, keywords nor labels.</summary>
    internal static IReadOnlySet<string> AlertRuleMetrics()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Repository.Root(), "deploy", "alerts.yml")))
        {
            yaml.Load(reader);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"])
        {
            foreach (var rule in (YamlSequenceNode)((YamlMappingNode)group)["rules"])
            {
                var expr = ((YamlScalarNode)((YamlMappingNode)rule)["expr"]).Value!;
                // Label matchers, grouping labels and ranges out; what is left are metrics, functions, keywords and numbers.
                var bare = Grouping().Replace(Matchers().Replace(expr, " "), " ");
                foreach (Match token in Identifier().Matches(bare))
                {
                    if (!token.Groups["call"].Success && !PromQlKeywords.Contains(token.Groups["name"].Value))
                    {
                        names.Add(token.Groups["name"].Value);
                    }
                }
            }
        }

        return names;
    }

    private static readonly HashSet<string> PromQlKeywords = new(StringComparer.Ordinal) { "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset" };

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels contain <paramref name="label"/>.</summary>
    private static double? Value(string scrape, string metric, string? label = null)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith(metric, StringComparison.Ordinal) && line.Length > metric.Length && line[metric.Length] is '{' or ' '
                && (label is null || line.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    [GeneratedRegex(@"\{[^}]*\}|\[[^\]]*\]|""[^""]*""")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();

    private static async Task<HttpResponseMessage> ScrapeAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }
}
