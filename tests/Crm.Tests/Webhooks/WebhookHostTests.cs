using System.Data.Common;
using System.Net;
using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Conversations;
using Crm.Data.Webhooks;
using Crm.GraphQL.Webhooks;
using Crm.Jobs.Webhooks;
using Crm.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Snapshooter.Xunit;

namespace Crm.Tests.Webhooks;

/// <summary>Hosts configured otherwise (rate limit, unsigned development mode) and the database going away.</summary>
public sealed class WebhookHostTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private readonly WebhookSender _sender = new(fixture.Factory);

    [Fact]
    public async Task WithTheDatabaseDownADeliveryIs503AndTheNextOneAfterItComesBackSucceedsWithoutARestart()
    {
        var body = WebhookSender.Sample("message.received.json");
        using (var warm = await _sender.PostLegacyAsync(Payloads.WithEventId(body, "EVwarm")))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await PostgresServer.StopAsync("fast");
        try
        {
            using var down = await _sender.PostLegacyAsync(body);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        }
        finally
        {
            await PostgresServer.StartAsync();
        }

        using var back = await _sender.PostLegacyAsync(body);

        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync(e => e.EventId == "EVc67ec998b35c41d388af50799aeeba3e"));
        Assert.Equal(WebhookEventStatus.Processed, stored.Status);
    }

    [Fact]
    public async Task EveryDeliveryAnswered200SurvivesPostgreSqlStoppingAsInACrashRightAfter()
    {
        var (ids, bodies) = Texts("burst", 40, i => $"+1617555{i:D4}");

        // Not waiting for the processing: the database stops while workers still process what was answered.
        var sender = new WebhookSender(Fixture.Factory.CreateClient());
        var responses = await Task.WhenAll(bodies.Select(body => sender.PostLegacyAsync(body)));
        await PostgresServer.StopAsync("immediate");
        await PostgresServer.StartAsync();
        // Every pool still holds connections to the killed server: drop them, for this test and the ones after it.
        NpgsqlConnection.ClearAllPools();
        await Fixture.Factory.Services.GetRequiredService<WebhookIngestion>().WhenIdleAsync(default);

        var answered = ids.Where((_, i) => responses[i].StatusCode == HttpStatusCode.OK).ToList();
        Array.ForEach(responses, r => r.Dispose());
        var found = await Fixture.QueryAsync(db => db.WebhookEvents.Where(e => answered.Contains(e.EventId)).ToListAsync());
        Assert.Equal(ids.Count, answered.Count);
        Assert.Equal(answered, found.Select(e => e.EventId).Order(StringComparer.Ordinal));

        // A 200 waited for the event's commit, not its processing's: what the crash took back, the retry job does.
        await RetryPastTheirClaimsAsync(found);

        var processed = await Fixture.QueryAsync(db => db.WebhookEvents.Where(e => answered.Contains(e.EventId)).Select(e => e.Status).ToListAsync());
        Assert.All(processed, status => Assert.Equal(WebhookEventStatus.Processed, status));
        Assert.Equal(ids.Count, await Fixture.QueryAsync(db => db.Activities.CountAsync(a => a.OpenPhoneId != null && a.OpenPhoneId.StartsWith("ACburst"))));
    }

    [Fact]
    public async Task EveryDeliveryAnswered200SurvivesAKillNineOfTheServerAndIsProcessedExactlyOnce()
    {
        var (ids, bodies) = Texts("kill", 60, i => $"+1617556{i % 7:D4}");

        HttpResponseMessage[] responses;
        await using (var server = await ServerProcess.StartAsync(PostgresFixture.Settings()))
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            var sender = new WebhookSender(http);
            responses = await Task.WhenAll(bodies.Select(body => sender.PostLegacyAsync(body)));
            // SIGKILL the moment the last answer is in: its workers are still processing.
            await server.KillAsync();
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Array.ForEach(responses, r => r.Dispose());
        var found = await Fixture.QueryAsync(db => db.WebhookEvents.Where(e => ids.Contains(e.EventId)).ToListAsync());
        Assert.Equal(ids, found.Select(e => e.EventId).Order(StringComparer.Ordinal));

        await RetryPastTheirClaimsAsync(found);

        var statuses = await Fixture.QueryAsync(db => db.WebhookEvents.Where(e => ids.Contains(e.EventId)).Select(e => e.Status).ToListAsync());
        Assert.All(statuses, status => Assert.Equal(WebhookEventStatus.Processed, status));
        var texts = await Fixture.QueryAsync(db => db.Activities.Where(a => a.OpenPhoneId != null && a.OpenPhoneId.StartsWith("ACkill")).GroupBy(a => a.ConversationId).Select(g => g.Count()).ToListAsync());
        // Seven senders, each conversation's texts once each.
        Assert.Equal((7, ids.Count), (texts.Count, texts.Sum()));
        var unread = await Fixture.QueryAsync(db => db.Conversations.SumAsync(c => c.UnreadCount));
        Assert.Equal(ids.Count, unread);
    }

    [Fact]
    public async Task ABurstFromOneSenderWithOneBadTextRecordsTheFailureOnThatTextAloneAndEveryOtherTextOnce()
    {
        // One sender: one worker gets them all, and what waits for it is processed together.
        var (ids, bodies) = Texts("together", 30, _ => "+16175570000");
        bodies[15] = Payloads.WithoutLine(bodies[15]);

        var sender = new WebhookSender(Fixture.Factory.CreateClient());
        var responses = await Task.WhenAll(bodies.Select(body => sender.PostLegacyAsync(body)));
        await Fixture.Factory.Services.GetRequiredService<WebhookIngestion>().WhenIdleAsync(default);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Array.ForEach(responses, r => r.Dispose());
        var events = await Fixture.QueryAsync(db => db.WebhookEvents.Where(e => ids.Contains(e.EventId)).OrderBy(e => e.EventId).ToListAsync());
        // The bad text's failure was not counted twice (once in a batch, once alone), nor did it take the others with it.
        Assert.Equal((WebhookEventStatus.Failed, 1), (events[15].Status, events[15].Attempts));
        Assert.Contains("InvalidFieldException", events[15].LastError, StringComparison.Ordinal);
        Assert.All(events.Where((_, i) => i != 15), e => Assert.Equal((WebhookEventStatus.Processed, 1, (string?)null), (e.Status, e.Attempts, e.LastError)));
        var conversation = await Fixture.QueryAsync(db => db.Conversations.SingleAsync());
        Assert.Equal(29, conversation.UnreadCount);
        Assert.Equal(29, await Fixture.QueryAsync(db => db.Activities.CountAsync(a => a.ConversationId == conversation.Id)));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Contacts.CountAsync(c => c.Phone == "+16175570000")));
    }

    /// <summary>Texts from the given numbers, with event and message ids EV/AC + name + index.</summary>
    private static (List<string> Ids, List<string> Bodies) Texts(string name, int count, Func<int, string> from)
    {
        var template = WebhookSender.Sample("message.received.json");
        var ids = Enumerable.Range(0, count).Select(i => $"EV{name}{i:D2}").ToList();
        var bodies = ids.Select((id, i) => Payloads.WithEventId(template, id)
            .Replace("AC24a8b8321c4f4cf2be110f4250793d51", $"AC{name}{i:D2}", StringComparison.Ordinal)
            .Replace("+19876543210", from(i), StringComparison.Ordinal)).ToList();
        return (ids, bodies);
    }

    /// <summary>The retry job, once the claims the events were stored with have run out: what a crash left, it processes.</summary>
    private async Task RetryPastTheirClaimsAsync(List<WebhookEvent> found)
    {
        await using var scope = Fixture.Factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RetryWebhooksJob>().RetryDueAsync(found.Max(e => e.ReceivedAt) + WebhookInbox.UnprocessedGrace, default);
    }

    [Fact]
    public async Task WhenProcessingAndRecordingTheFailureBothFailTheStoredEventWaitsForTheRetryJob()
    {
        var fault = new FailingWebhookUpdates();
        await using var factory = new FaultyDatabaseFactory(PostgresFixture.Settings(), fault);
        var sender = new WebhookSender(factory);
        var body = WebhookSender.Sample("message.received.json");

        using var first = await sender.PostLegacyAsync(body);
        fault.Enabled = false;
        using var redelivered = await sender.PostLegacyAsync(body);

        // Stored before processing: answered 200, and the row still belongs to the failed processing until its claim runs out.
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal((WebhookEventStatus.Received, 0, 2), (stored.Status, stored.Attempts, stored.Deliveries));
        await using var scope = factory.Services.CreateAsyncScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<RetryWebhooksJob>().RetryDueAsync(stored.ReceivedAt + WebhookInbox.UnprocessedGrace, default));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Fact]
    public async Task OverTheRateLimitADeliveryIs429WithRetryAfter()
    {
        var settings = PostgresFixture.Settings();
        settings["OpenPhone:WebhookRateLimitPerMinute"] = "2";
        await using var factory = new CrmApiFactory(settings);
        var sender = new WebhookSender(factory);
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
        var sender = new WebhookSender(factory);

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
        var sender = new WebhookSender(factory);

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
}

/// <summary>Fails every statement that writes an inbox row's new state: processing, and recording a failure.</summary>
internal sealed class FailingWebhookUpdates : DbCommandInterceptor
{
    public bool Enabled { get; set; } = true;

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Fail(command);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Fail(command);
        return ValueTask.FromResult(result);
    }

    private void Fail(DbCommand command)
    {
        if (Enabled && command.CommandText.Contains("UPDATE \"WebhookEvents\"", StringComparison.Ordinal))
        {
            throw new NpgsqlException("Injected: the database went away.");
        }
    }
}

/// <summary>The shared host's configuration, with an interceptor on its database context.</summary>
internal sealed class FaultyDatabaseFactory(IReadOnlyDictionary<string, string?> settings, IInterceptor interceptor) : CrmApiFactory(settings)
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.ConfigureDbContext<PostgresCrmDbContext>(o => o.AddInterceptors(interceptor)));
    }
}

