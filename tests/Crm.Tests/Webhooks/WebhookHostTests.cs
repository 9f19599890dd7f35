using System.Diagnostics;
using System.Net;
using Crm.Data.Activities;
using Crm.Data.Conversations;
using Crm.Data.Webhooks;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Snapshooter.Xunit;

namespace Crm.Tests.Webhooks;

/// <summary>Hosts configured otherwise (rate limit, unsigned development mode) and the database going away.</summary>
public sealed class WebhookHostTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private readonly WebhookSender _sender = new(fixture.Factory.CreateClient());

    [Fact]
    public async Task WithTheDatabaseDownADeliveryIs503AndTheNextOneAfterItComesBackSucceedsWithoutARestart()
    {
        var body = WebhookSender.Sample("message.received.json");
        using (var warm = await _sender.PostLegacyAsync(Payloads.WithEventId(body, "EVwarm")))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await PgCtlAsync("stop", "-m", "fast");
        try
        {
            using var down = await _sender.PostLegacyAsync(body);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        }
        finally
        {
            await PgCtlAsync("start", "-w", "-l", Path.Combine(Environment.GetEnvironmentVariable("CRM_TEST_PG_DATA")!, "..", "postgres.log"));
        }

        using var back = await _sender.PostLegacyAsync(body);

        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync(e => e.EventId == "EVc67ec998b35c41d388af50799aeeba3e"));
        Assert.Equal(WebhookEventStatus.Processed, stored.Status);
    }

    [Fact]
    public async Task OverTheRateLimitADeliveryIs429WithRetryAfter()
    {
        var settings = PostgresFixture.Settings();
        settings["OpenPhone:WebhookRateLimitPerMinute"] = "2";
        await using var factory = new CrmApiFactory(settings);
        var sender = new WebhookSender(factory.CreateClient());
        var body = WebhookSender.Sample("message.received.json");

        using var first = await sender.PostLegacyAsync(body);
        using var second = await sender.PostLegacyAsync(body);
        using var third = await sender.PostLegacyAsync(body);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.InRange(int.Parse(third.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
    }

    [Fact]
    public async Task WithoutTheDevelopmentSwitchAnUnsignedDeliveryIsRefused()
    {
        using var response = await _sender.PostAsync(WebhookSender.Sample("message.received.json"), new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task InDevelopmentWithTheSwitchOnAnUnsignedDeliveryIsAccepted()
    {
        var settings = PostgresFixture.Settings();
        settings.Remove("OpenPhone:WebhookSigningKeys:0");
        settings.Remove("OpenPhone:WebhookSigningKeys:1");
        settings.Remove("OpenPhone:WebhookSigningKeys:2");
        settings["OpenPhone:AllowUnsignedWebhooks"] = "true";
        settings["environment"] = "Development";
        await using var factory = new CrmApiFactory(settings);
        var sender = new WebhookSender(factory.CreateClient());

        using var response = await sender.PostAsync(WebhookSender.Sample("message.received.json"), new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Fact]
    public async Task WithNoSigningKeyConfiguredEverySignedDeliveryIsRefused()
    {
        var settings = PostgresFixture.Settings();
        settings.Remove("OpenPhone:WebhookSigningKeys:0");
        settings.Remove("OpenPhone:WebhookSigningKeys:1");
        settings.Remove("OpenPhone:WebhookSigningKeys:2");
        await using var factory = new CrmApiFactory(settings);
        var sender = new WebhookSender(factory.CreateClient());

        using var response = await sender.PostLegacyAsync(WebhookSender.Sample("message.received.json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
    }

    [Fact]
    public async Task TheHostRefusesToStartWithUnsignedWebhooksOutsideDevelopment()
    {
        var settings = PostgresFixture.Settings();
        settings["OpenPhone:AllowUnsignedWebhooks"] = "true";
        await using var factory = new CrmApiFactory(settings);

        var error = Record.Exception(() => factory.Server);

        Assert.NotNull(error);
        Assert.Contains("AllowUnsignedWebhooks", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperatorsListFailedEventsAndReplayOne()
    {
        using (var processed = await _sender.PostLegacyAsync(WebhookSender.Sample("message.received.json")))
        using (var failed = await _sender.PostLegacyAsync(WebhookSender.Sample("call.summary.completed.json")))
        {
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }

        var list = await Client.DataAsync("""
            { webhookEvents(first: 10, status: FAILED) { totalCount nodes { id eventId type apiVersion status attempts lastError } } }
            """);
        var failedEvent = list["webhookEvents"]!["nodes"]![0]!;
        // The call arrives by a path that does not look for waiting details, so only the replay attaches the summary.
        await using (var scope = Fixture.Factory.Services.CreateAsyncScope())
        {
            var call = new CallFact(Payloads.SummarizedCallId, ActivityDirection.Incoming, "+19876543210", [], "completed", TestData.Epoch, TestData.Epoch, null, null, null, [], "PN1ZmRMzlx", null);
            await scope.ServiceProvider.GetRequiredService<TimelineOperations>().RecordCallAsync(call, default);
        }

        var replay = await Client.PostAsync("""
            mutation($input: ReplayWebhookEventInput!) {
              replayWebhookEvent(input: $input) { webhookEvent { eventId status attempts lastError } errors { __typename ... on Error { message } } }
            }
            """, new { input = new { id = failedEvent["id"]!.GetValue<string>() } });
        var all = await Client.DataAsync("{ webhookEvents(first: 10) { nodes { eventId type status } } }");
        var unknown = await Client.PostAsync(
            "mutation { replayWebhookEvent(input: { id: \"V2ViaG9va0V2ZW50OjAxOWFjMDAwMDAwMDcwMDA4MDAwMDAwMDAwMDAwMDAw\" }) { webhookEvent { eventId } errors { __typename ... on Error { message } } } }");

        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(new System.Text.Json.Nodes.JsonObject
        {
            ["replay"] = replay.Data.DeepClone(),
            ["all"] = all.DeepClone(),
            ["unknown"] = unknown.Data.DeepClone(),
        }.ToJsonString()));
        Assert.Equal("You talked about the weather.", (await Fixture.QueryAsync(db => db.Activities.SingleAsync(a => a.OpenPhoneId == Payloads.SummarizedCallId))).AiSummary);
        Assert.Equal(1, list["webhookEvents"]!["totalCount"]!.GetValue<int>());
        Assert.Equal("call.summary.completed", failedEvent["type"]!.GetValue<string>());
    }

    private static async Task PgCtlAsync(params string[] arguments)
    {
        var bin = Environment.GetEnvironmentVariable("CRM_TEST_PG_BIN") ?? throw new InvalidOperationException("CRM_TEST_PG_BIN is not set: run with scripts/test.sh.");
        var data = Environment.GetEnvironmentVariable("CRM_TEST_PG_DATA")!;
        var user = Environment.GetEnvironmentVariable("CRM_TEST_PG_USER") ?? Environment.UserName;
        var pgCtl = Path.Combine(bin, "pg_ctl");
        // PostgreSQL refuses to run as root: scripts/test.sh runs it as another user, and so must we.
        var asOther = user != Environment.UserName;
        var start = new ProcessStartInfo(asOther ? "runuser" : pgCtl) { WorkingDirectory = Path.GetTempPath(), RedirectStandardOutput = true, RedirectStandardError = true };
        if (asOther)
        {
            foreach (var argument in new[] { "-u", user, "--", pgCtl })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments.Take(1).Concat(["-D", data]).Concat(arguments.Skip(1)))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pg_ctl {string.Join(' ', arguments)} failed: {output}");
    }
}
