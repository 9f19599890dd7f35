using System.Net;
using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Conversations;
using Crm.Data.Events;
using Crm.Data.Webhooks;
using Crm.GraphQL.Webhooks;
using Crm.Jobs.Webhooks;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;

namespace Crm.Tests.Webhooks;

/// <summary>Out-of-order deliveries, failures and the retry job, called directly with a fixed clock.</summary>
public sealed class WebhookProcessingTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private readonly WebhookSender _sender = new(fixture.Factory);

    [Fact]
    public async Task SummaryAndTranscriptBeforeCallCompletedConvergeToTheInOrderState()
    {
        var call = Payloads.CallCompleted("EVcall", Payloads.SummarizedCallId);
        var summary = WebhookSender.Sample("call.summary.completed.json");
        var transcript = Payloads.WithEventId(WebhookSender.Sample("call.transcript.completed.json"), "EVtranscript");

        await PostAllAsync(call, summary, transcript);
        var inOrder = await TimelineStateAsync();
        await Fixture.ResetAsync();
        await PostAllAsync(transcript, summary, call);
        var outOfOrder = await TimelineStateAsync();

        Assert.Equal(inOrder, outOfOrder);
        var activity = await Fixture.QueryAsync(db => db.Activities.SingleAsync());
        Assert.Equal("You talked about the weather.", activity.AiSummary);
        Assert.Equal("Hello, world!", Assert.Single(activity.Transcript).Text);
        Assert.All(await Fixture.QueryAsync(db => db.WebhookEvents.ToListAsync()), e => Assert.Equal(WebhookEventStatus.Processed, e.Status));
    }

    [Fact]
    public async Task ARecordingBeforeCallCompletedConvergesToTheInOrderState()
    {
        var recording = WebhookSender.Sample("call.recording.completed.json");
        // The same call's call.completed: no media yet.
        var renamed = Payloads.WithEventId(recording, "EVcompleted").Replace("call.recording.completed", "call.completed", StringComparison.Ordinal);
        var media = renamed.IndexOf("\"media\": [", StringComparison.Ordinal);
        var completed = renamed[..media] + "\"media\": [], \"ignored\": [" + renamed[(media + "\"media\": [".Length)..];

        await PostAllAsync(completed, recording);
        var inOrder = await TimelineStateAsync();
        await Fixture.ResetAsync();
        await PostAllAsync(recording, completed);

        Assert.Equal(inOrder, await TimelineStateAsync());
    }

    [Fact]
    public async Task MessageDeliveredBeforeTheOutgoingMessageIsKnownConvergesToTheInOrderState()
    {
        var delivered = WebhookSender.Sample("message.delivered.json");
        var sent = new MessageFact(
            "ACcdcc2668c4134c3cbfdacb9e273cac6f", ActivityDirection.Outgoing, "+18005550100", ["+18885550101"], "za", [], "sent",
            DateTimeOffset.Parse("2022-01-23T17:05:45.195Z", System.Globalization.CultureInfo.InvariantCulture), "PNtoDbDhuz", null);

        // In order: our sender records the message as sent, then OpenPhone reports its delivery.
        await RecordAsync(sent);
        await PostAllAsync(delivered);
        var inOrder = await TimelineStateAsync();
        await Fixture.ResetAsync();
        await PostAllAsync(delivered);
        await RecordAsync(sent);

        Assert.Equal(inOrder, await TimelineStateAsync());
        Assert.Equal("delivered", (await Fixture.QueryAsync(db => db.Activities.SingleAsync())).Status);
    }

    [Fact]
    public async Task AFailedEventIsRetriedByTheRetryMethodOnceItsBackoffHasPassed()
    {
        using var response = await _sender.PostLegacyAsync(WebhookSender.Sample("call.summary.completed.json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var failed = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal(WebhookEventStatus.Failed, failed.Status);
        Assert.Contains("not known yet", failed.LastError, StringComparison.Ordinal);
        Assert.Equal(failed.ReceivedAt.AddMinutes(1), failed.NextAttemptAt!.Value, TimeSpan.FromSeconds(5));

        // The call arrives by another path (the history import, say), which does not look for waiting details.
        await using (var scope = Fixture.Factory.Services.CreateAsyncScope())
        {
            var call = new CallFact(Payloads.SummarizedCallId, ActivityDirection.Incoming, "+19876543210", [], "completed", failed.ReceivedAt, failed.ReceivedAt, null, null, null, [], "PN1ZmRMzlx", null);
            await scope.ServiceProvider.GetRequiredService<TimelineOperations>().RecordCallAsync(call, default);
        }

        Assert.Equal(0, await RetryAsync(failed.NextAttemptAt.Value.AddSeconds(-1)));
        Assert.Equal(1, await RetryAsync(failed.NextAttemptAt.Value));

        var retried = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal(WebhookEventStatus.Processed, retried.Status);
        Assert.Equal(2, retried.Attempts);
        Assert.Null(retried.LastError);
        Assert.Null(retried.NextAttemptAt);
        Assert.Equal("You talked about the weather.", (await Fixture.QueryAsync(db => db.Activities.SingleAsync())).AiSummary);
    }

    [Fact]
    public async Task AnEventThatKeepsFailingBacksOffExponentiallyAndIsDeadAfterEightAttempts()
    {
        var body = WebhookSender.Sample("message.received.json").Replace("+19876543210", "12", StringComparison.Ordinal);
        using var response = await _sender.PostLegacyAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var delays = new List<TimeSpan>();
        var webhookEvent = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        var last = webhookEvent.ReceivedAt;
        while (webhookEvent.NextAttemptAt is { } next)
        {
            delays.Add(next - last);
            await RetryAsync(next);
            last = next;
            webhookEvent = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        }

        Assert.Equal(WebhookEventStatus.Dead, webhookEvent.Status);
        Assert.Equal(OpenPhoneWebhookProcessor.MaxAttempts, webhookEvent.Attempts);
        Assert.Equal([1, 2, 4, 8, 16, 32, 64], delays.Select(d => (int)Math.Round(d.TotalMinutes)));
        Assert.Contains("InvalidPhoneNumberException", webhookEvent.LastError, StringComparison.Ordinal);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Fact]
    public async Task EventsProcessedTogetherFindWhatTheEarlierOnesCreatedAndAreEachProcessedOnce()
    {
        var texts = Enumerable.Range(0, 5).Select(i => NewText(i)).ToList();

        Assert.True(await ProcessTogetherAsync(texts));

        // The first text created the contact and the conversation; the others found them, though nothing was committed yet.
        var conversation = await Fixture.QueryAsync(db => db.Conversations.SingleAsync());
        Assert.Equal(5, conversation.UnreadCount);
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
        Assert.Equal(5, await Fixture.QueryAsync(db => db.Activities.CountAsync(a => a.ConversationId == conversation.Id)));
        Assert.All(await Fixture.QueryAsync(db => db.WebhookEvents.ToListAsync()), e => Assert.Equal((WebhookEventStatus.Processed, 1, (DateTimeOffset?)null), (e.Status, e.Attempts, e.ClaimedUntil)));
    }

    [Fact]
    public async Task WhenOneOfEventsProcessedTogetherFailsNothingOfThemIsKept()
    {
        var texts = Enumerable.Range(0, 3).Select(i => NewText(i)).ToList();
        texts[1].Body = Payloads.WithoutLine(texts[1].Body!);

        Assert.False(await ProcessTogetherAsync(texts));

        // As stored: the workers then process each on its own, and only the bad one fails.
        Assert.All(await Fixture.QueryAsync(db => db.WebhookEvents.ToListAsync()), e => Assert.Equal((WebhookEventStatus.Received, 0, (string?)null), (e.Status, e.Attempts, e.LastError)));
        Assert.Equal((0, 0, 0), (await Fixture.QueryAsync(db => db.Activities.CountAsync()), await Fixture.QueryAsync(db => db.Conversations.CountAsync()), await Fixture.QueryAsync(db => db.Contacts.CountAsync())));
    }

    [Fact]
    public async Task AnEventStoredButNeverProcessedIsPickedUpByTheRetryMethod()
    {
        await StoreAsync(new WebhookEvent { EventId = "EVc67ec998b35c41d388af50799aeeba3e", Type = "message.received", Body = WebhookSender.Sample("message.received.json") });

        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal(1, await RetryAsync(stored.ReceivedAt + WebhookInbox.UnprocessedGrace));

        Assert.Equal(WebhookEventStatus.Processed, (await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync())).Status);
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWorkerWhoseClaimRanOutCannotProcessTheEventAgainAfterTheRetryJobDid(bool together)
    {
        var text = NewText(0);
        var stale = await StoreAsync(text);
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        // The event waited in a long worker queue: its claim ran out, and the retry job processed it.
        Assert.Equal(1, await RetryAsync(stored.ReceivedAt + WebhookInbox.UnprocessedGrace));

        // Then the worker gets to it, holding the event as the writer stored it.
        await using (var scope = Fixture.Factory.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CrmDbContext>().WebhookEvents.Attach(text);
            var processor = scope.ServiceProvider.GetRequiredService<OpenPhoneWebhookProcessor>();
            if (together)
            {
                Assert.False(await processor.TryProcessTogetherAsync([stale], default));
            }
            else
            {
                Assert.Null(await processor.ProcessAsync(stale, default));
            }
        }

        var processed = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal((WebhookEventStatus.Processed, 1, (string?)null), (processed.Status, processed.Attempts, processed.LastError));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Fact]
    public async Task AClaimThatRanOutLeavesTheEventToWhoeverTookItOverEvenBeforeTheyProcessIt()
    {
        var stale = await StoreAsync(NewText(0));
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        var later = stored.ReceivedAt + WebhookInbox.UnprocessedGrace;
        await using var scope = Fixture.Factory.Services.CreateAsyncScope();
        var processor = scope.ServiceProvider.GetRequiredService<OpenPhoneWebhookProcessor>();
        var takenOver = await scope.ServiceProvider.GetRequiredService<WebhookInbox>().ClaimAsync(stored.Id, later, WebhookInbox.Due(later), default);
        Assert.NotNull(takenOver);

        Assert.Null(await processor.ProcessAsync(stale, default));
        var untouched = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal((WebhookEventStatus.Received, 0, later + WebhookInbox.ClaimLease), (untouched.Status, untouched.Attempts, untouched.ClaimedUntil));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Activities.CountAsync()));

        Assert.Equal(WebhookEventStatus.Processed, await processor.ProcessAsync(takenOver, default));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Fact]
    public async Task TwoRetryRunsAtOnceProcessEachDueEventOnce()
    {
        foreach (var i in Enumerable.Range(0, 5))
        {
            var body = WebhookSender.Sample("call.summary.completed.json").Replace("EV0ea54cadfbf342e6ac4ca1f22ed1700c", $"EVwait{i}", StringComparison.Ordinal);
            using var response = await _sender.PostLegacyAsync(body);
        }

        var due = DateTimeOffset.UtcNow.AddMinutes(2);
        var counts = await Task.WhenAll(RetryAsync(due), RetryAsync(due));

        Assert.Equal(5, counts.Sum());
        Assert.All(await Fixture.QueryAsync(db => db.WebhookEvents.ToListAsync()), e => Assert.Equal(2, e.Attempts));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AReplayAndTheRetryJobAtOnceProcessAnEventOnce(bool replayFirst)
    {
        using (var response = await _sender.PostLegacyAsync(WebhookSender.Sample("call.summary.completed.json")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var failed = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        // The call arrives by a path that does not look for waiting details: only a replay or a retry attaches the summary.
        await using (var scope = Fixture.Factory.Services.CreateAsyncScope())
        {
            var call = new CallFact(Payloads.SummarizedCallId, ActivityDirection.Incoming, "+19876543210", [], "completed", failed.ReceivedAt, failed.ReceivedAt, null, null, null, [], "PN1ZmRMzlx", null);
            await scope.ServiceProvider.GetRequiredService<TimelineOperations>().RecordCallAsync(call, default);
        }

        var activityId = await Fixture.QueryAsync(db => db.Activities.Select(a => a.Id).SingleAsync());
        var bus = Fixture.Factory.Services.GetRequiredService<IEventBus>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var updates = CountUpdatesAsync(bus.SubscribeAsync(ActivityUpdated.TopicName, cts.Token), activityId);
        Task<GraphQLResponse> Replay() => Client.PostAsync(
            "mutation($id: ID!) { replayWebhookEvent(input: { id: $id }) { webhookEvent { status } } }",
            new { id = Crm.GraphQL.Server.Conventions.NodeId.Encode("WebhookEvent", failed.Id) });
        Task<int> Retry() => RetryAsync(failed.NextAttemptAt!.Value);

        // The first one in holds the event while it waits for the call's row; the second tries while it waits.
        await using (var held = await HeldRowLock.AcquireAsync("Activities", activityId))
        {
            Task first = replayFirst ? Replay() : Retry();
            await HeldRowLock.WaitForWaitersAsync(1);
            Task second = replayFirst ? Retry() : Replay();
            await HeldRowLock.WaitForWaitersAsync(2, done: second);
            await held.ReleaseAsync();
            await Task.WhenAll(first, second);
        }

        await bus.PublishAsync(new ActivityUpdated(Guid.Empty, Guid.Empty), default);
        Assert.Equal(1, await updates);
        var processed = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal((WebhookEventStatus.Processed, 2, null), (processed.Status, processed.Attempts, processed.ClaimedUntil));
    }

    /// <summary>Updates of one activity, until the empty id that the test publishes last.</summary>
    private static async Task<int> CountUpdatesAsync(IAsyncEnumerable<CrmEvent> events, Guid activityId)
    {
        var count = 0;
        await foreach (var update in events.OfType<ActivityUpdated>().TakeWhile(e => e.ActivityId != Guid.Empty))
        {
            count += update.ActivityId == activityId ? 1 : 0;
        }

        return count;
    }

    [Fact]
    public async Task AnIncomingRingingCallPublishesWhoIsCallingAndStoresNothingElse()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(TestData.Contact(7));
            return Task.CompletedTask;
        });
        var bus = Fixture.Factory.Services.GetRequiredService<IEventBus>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var events = bus.SubscribeAsync(IncomingCall.TopicName, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = events.MoveNextAsync();
        var ringing = WebhookSender.Sample("call.ringing.json")
            .Replace("\"outgoing\"", "\"incoming\"", StringComparison.Ordinal)
            .Replace("+15555555555", "+16175550007", StringComparison.Ordinal);

        using var response = await _sender.PostLegacyAsync(ringing);

        Assert.True(await next);
        var call = Assert.IsType<IncomingCall>(events.Current);
        Assert.Equal("+16175550007", call.From);
        Assert.Equal(await Fixture.QueryAsync(db => db.Contacts.Select(c => c.Id).SingleAsync()), call.ContactId);
        Assert.Equal("ACsXlF0", call.CallOpenPhoneId);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Conversations.CountAsync()));
    }

    [Fact]
    public async Task ContactUpdatedFollowsOpenPhoneAndContactDeletedOnlyUnlinks()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new() { FirstName = "Old", Phone = "+12566581234", Email = "old@example.com", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
            return Task.CompletedTask;
        });

        using var updated = await _sender.PostLegacyAsync(WebhookSender.Sample("contact.updated.json"));
        var contact = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        Assert.Equal(("Jayson", "CT64260c5cd1c90ca558ff6edb", "old@example.com"), (contact.FirstName, contact.OpenPhoneContactId, contact.Email));

        var deleted = WebhookSender.Sample("contact.deleted.json").Replace("CT65c3ad28f1b2c3d4e5f60718", "CT64260c5cd1c90ca558ff6edb", StringComparison.Ordinal);
        using var deletedResponse = await _sender.PostLegacyAsync(deleted);

        var kept = await Fixture.QueryAsync(db => db.Contacts.SingleAsync());
        Assert.Null(kept.OpenPhoneContactId);
        Assert.Equal("Jayson", kept.FirstName);
    }

    private async Task PostAllAsync(params string[] bodies)
    {
        foreach (var body in bodies)
        {
            using var response = await _sender.PostLegacyAsync(body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>A text from one new sender: event EVtogether{i}, message ACtogether{i}.</summary>
    private static WebhookEvent NewText(int i) => new()
    {
        EventId = $"EVtogether{i}",
        Type = "message.received",
        Body = Payloads.WithEventId(WebhookSender.Sample("message.received.json"), $"EVtogether{i}")
            .Replace("AC24a8b8321c4f4cf2be110f4250793d51", $"ACtogether{i}", StringComparison.Ordinal),
    };

    /// <summary>Stored as the writer stores them (claimed), then processed in one unit as a worker does.</summary>
    private async Task<bool> ProcessTogetherAsync(List<WebhookEvent> events)
    {
        await using var scope = Fixture.Factory.Services.CreateAsyncScope();
        var claims = await scope.ServiceProvider.GetRequiredService<WebhookInbox>().StoreAsync(events, default);
        return await scope.ServiceProvider.GetRequiredService<OpenPhoneWebhookProcessor>().TryProcessTogetherAsync([.. claims.Select(c => c!)], default);
    }

    /// <summary>Stored as the writer stores it: the claim its worker would hold.</summary>
    private async Task<WebhookClaim> StoreAsync(WebhookEvent webhookEvent)
    {
        await using var scope = Fixture.Factory.Services.CreateAsyncScope();
        return Assert.Single(await scope.ServiceProvider.GetRequiredService<WebhookInbox>().StoreAsync([webhookEvent], default))!;
    }

    private async Task RecordAsync(MessageFact fact)
    {
        await using var scope = Fixture.Factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TimelineOperations>().RecordMessageAsync(fact, default);
    }

    private async Task<int> RetryAsync(DateTimeOffset now)
    {
        await using var scope = Fixture.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RetryWebhooksJob>().RetryDueAsync(now, default);
    }

    /// <summary>The timeline rows without the inbox, which differs by design between orders (attempt counts).</summary>
    private async Task<string> TimelineStateAsync()
    {
        var rows = await Fixture.QueryAsync(WebhookRows.ReadAsync);
        var json = Newtonsoft.Json.Linq.JObject.FromObject(rows);
        json.Remove("WebhookEvents");
        return json.ToString(Formatting.Indented);
    }
}
