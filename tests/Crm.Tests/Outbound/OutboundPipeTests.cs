using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Outbound;
using Crm.GraphQL.Server.Conventions;
using Crm.OpenPhoneSimulator;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Snapshooter.Xunit;

namespace Crm.Tests.Outbound;

/// <summary>sendMessage through the outbox and the sender to the simulator over real HTTP, and every outcome of a send.</summary>
public sealed class OutboundPipeTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Send = "POST /v1/messages";
    private const string List = "GET /v1/messages";

    private const string SendMutation = """
        mutation($input: SendMessageInput!) {
          sendMessage(input: $input) {
            activity { id status body }
            errors { __typename ... on Error { message } ... on MessageTooLongError { length maxLength } ... on InvalidFieldError { field } }
          }
        }
        """;

    [Fact]
    public async Task ATextIsQueuedThenSentOnceAndDeliveredByTheIdOpenPhoneGaveIt()
    {
        await using var host = await OutboundHost.StartAsync(simulatorSettings: new Dictionary<string, string?> { ["OpenPhone:Simulator:DeliveryDelay"] = "00:00:00" });
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();

        var queued = (await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "We can come Tuesday at 9." })))["sendMessage"]!;
        var id = ActivityId(queued);
        var delivered = await host.WaitForAsync(id, MessageStatus.Delivered);

        Assert.Equal("QUEUED", queued["activity"]!["status"]!.GetValue<string>());
        var accepted = Assert.Single(host.SentTo(0));
        Assert.Equal(accepted.Id, delivered.OpenPhoneId);
        Assert.Equal((ActivityDirection.Outgoing, "+16175551000"), (delivered.Direction, delivered.ToNumbers.Single()));
        Assert.True(delivered is { QueuedAt: not null, SentAt: not null, DeliveredAt: not null } && delivered.QueuedAt <= delivered.SentAt && delivered.SentAt <= delivered.DeliveredAt);
        Assert.Equal((1, 1L), (host.Simulator.Traffic.Stats().MessagesAccepted, host.Requests(Send)));
        // The API key reaches OpenPhone in a header, and no log line.
        Assert.All(host.Root.Logs.Entries, e => Assert.DoesNotContain(Crm.Tests.OpenPhone.SimulatorServer.ApiKey, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheSameIdempotencyKeyReturnsTheFirstActivityAndSendsNothingMore()
    {
        await using var host = await OutboundHost.StartAsync();
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        var input = new { contactId = NodeId.Encode("Contact", conversations[0].ContactId), body = "Your estimate is ready.", idempotencyKey = "estimate-42" };

        var first = ActivityId((await client.DataAsync(SendMutation, Input(input)))["sendMessage"]!);
        await host.WaitForAsync(first, MessageStatus.Sent);
        var again = ActivityId((await client.DataAsync(SendMutation, Input(input with { body = "Your estimate is ready!" })))["sendMessage"]!);

        Assert.Equal(first, again);
        Assert.Equal(1, await host.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(1L, host.Requests(Send));
    }

    [Fact]
    public async Task RefusedTextsGetTypedErrorsAndWriteNothing()
    {
        var (conversation, contactWithoutPhone) = await ArrangeSharedAsync();
        var responses = new List<JsonNode?>();
        foreach (var input in new object[]
        {
            new { conversationId = conversation, body = "   " },
            new { conversationId = conversation, body = new string('x', 1601) },
            new { contactId = NodeId.Encode("Contact", Guid.Empty), body = "Hello" },
            new { contactId = contactWithoutPhone, body = "Hello" },
            new { body = "To nobody" },
        })
        {
            responses.Add((await Client.DataAsync(SendMutation, Input(input)))["sendMessage"]);
        }

        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(new JsonArray([.. responses.Select(r => r?.DeepClone())]).ToJsonString()));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.OutboundMessages.CountAsync()));
    }

    [Fact]
    public async Task AnOptedOutContactGetsContactOptedOutErrorAndOpenPhoneHearsNothingUntilTheyTextStart()
    {
        await using var host = await OutboundHost.StartAsync();
        var (line, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        var webhooks = new WebhookSender(host.App);
        var input = new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Spring special: 10% off" };

        using (await webhooks.PostLegacyAsync(Inbound("stop", "ACstop000000000000000000000000001", line.OpenPhoneId, line.Number, DateTimeOffset.UtcNow.AddMinutes(-2))))
        {
        }

        var refused = (await client.DataAsync(SendMutation, Input(input)))["sendMessage"]!;
        using (await webhooks.PostLegacyAsync(Inbound("Start", "ACstart00000000000000000000000001", line.OpenPhoneId, line.Number, DateTimeOffset.UtcNow.AddMinutes(-1))))
        {
        }

        var accepted = ActivityId((await client.DataAsync(SendMutation, Input(input)))["sendMessage"]!);
        await host.WaitForAsync(accepted, MessageStatus.Sent);

        Assert.Equal("ContactOptedOutError", refused["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Null(refused["activity"]);
        Assert.Equal(1L, host.Requests(Send));
        var contact = await host.QueryAsync(db => db.Contacts.SingleAsync());
        Assert.Equal((Crm.Data.Consent.SmsConsentStatus.OptedIn, Crm.Data.Consent.ConsentSource.Keyword), (contact.SmsConsent.Status, contact.SmsConsent.Source));
        var ledger = await host.QueryAsync(db => db.ConsentEntries.OrderBy(e => e.At).Select(e => new { e.Status, e.Evidence }).ToListAsync());
        Assert.Equal(["OptedOut stop", "OptedIn Start"], ledger.Select(e => $"{e.Status} {e.Evidence}"));
    }

    [Fact]
    public async Task AStopBetweenEnqueueAndSendSkipsTheTextWithoutARequest()
    {
        await using var enqueuer = await OutboundHost.StartAsync(workers: 0);
        var (line, conversations) = await enqueuer.ArrangeAsync();
        var client = await enqueuer.ClientAsync();
        var id = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Reminder: tomorrow 9am" })))["sendMessage"]!);
        using (await new WebhookSender(enqueuer.App).PostLegacyAsync(Inbound("STOP", "ACstop000000000000000000000000002", line.OpenPhoneId, line.Number, DateTimeOffset.UtcNow)))
        {
        }

        await using var sender = await enqueuer.SecondInstanceAsync(workers: 1);
        var skipped = await sender.WaitForAsync(id, MessageStatus.Skipped);

        Assert.Contains("opted out", skipped.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0L, sender.Requests(Send));
        Assert.Equal(OutboundState.Done, (await sender.OutboxAsync(id)).State);
    }

    [Fact]
    public async Task APermanentFailureIsFailedWithAReasonAndRetryMessageSendsItAgain()
    {
        await using var host = await OutboundHost.StartAsync();
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        host.Simulator.Traffic.Script([new ScriptedFault(FaultKind.Status, Send, Status: 402, Code: "0200402", Message: "Not enough credits")]);

        var id = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Invoice attached" })))["sendMessage"]!);
        var failed = await host.WaitForAsync(id, MessageStatus.Failed);
        var listed = await client.DataAsync(
            "query($id: ID!) { node(id: $id) { ... on Conversation { activities(where: { status: { eq: FAILED } }) { nodes { id failureReason } } } } }",
            new { id = NodeId.Encode("Conversation", conversations[0].Id) });
        var retried = await client.DataAsync("mutation($id: ID!) { retryMessage(input: { id: $id }) { activity { status failureReason } errors { __typename } } }", new { id = NodeId.Encode("Activity", id) });
        var sent = await host.WaitForAsync(id, MessageStatus.Sent);

        Assert.Equal("OpenPhone refused it: 402 Not enough credits", failed.FailureReason);
        Assert.Equal(NodeId.Encode("Activity", id), listed["node"]!["activities"]!["nodes"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("QUEUED", retried["retryMessage"]!["activity"]!["status"]!.GetValue<string>());
        Assert.Null(sent.FailureReason);
        Assert.Equal((2L, 1L), (host.Requests(Send), host.Simulator.Traffic.Stats().MessagesAccepted));
    }

    [Fact]
    public async Task ATransientFailureIsRetriedAfterItsBackoffAndThenSentOnce()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await OutboundHost.StartAsync(clock: clock);
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        host.Simulator.Traffic.Script([new ScriptedFault(FaultKind.ServerError, Send)]);

        var id = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "On our way" })))["sendMessage"]!);
        await WaitUntilAsync(async () => (await host.OutboxAsync(id)) is { State: OutboundState.Queued, Attempts: 1 });
        var waiting = await host.OutboxAsync(id);
        var before = (host.Requests(Send), host.Requests(List));
        clock.Advance(TimeSpan.FromSeconds(3));
        await host.WaitForAsync(id, MessageStatus.Sent);

        Assert.True(waiting.MaybeSent);
        Assert.StartsWith("500 ", waiting.LastError, StringComparison.Ordinal);
        Assert.InRange(waiting.NextAttemptAt - clock.GetUtcNow(), TimeSpan.FromSeconds(-3), TimeSpan.Zero);
        Assert.Equal((1L, 0L), before);
        // After a 500 OpenPhone may have sent it: the sender looked first, found nothing, and sent it once.
        Assert.Equal((2L, 1L, 1L), (host.Requests(Send), host.Requests(List), host.Simulator.Traffic.Stats().MessagesAccepted));
    }

    [Fact]
    public async Task ASendOpenPhoneAcceptedWithoutAnAnswerIsReconciledAndNeverSentTwice()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await OutboundHost.StartAsync(clock: clock);
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        host.Simulator.Traffic.Script([new ScriptedFault(FaultKind.AcceptThenCrash, Send)]);

        var id = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Crew arrives at 8" })))["sendMessage"]!);
        await WaitUntilAsync(async () => (await host.OutboxAsync(id)) is { State: OutboundState.Queued, MaybeSent: true });
        clock.Advance(TimeSpan.FromSeconds(3));
        var sent = await host.WaitForAsync(id, MessageStatus.Sent);

        var accepted = Assert.Single(host.SentTo(0));
        Assert.Equal(accepted.Id, sent.OpenPhoneId);
        Assert.Equal((1L, 1L), (host.Requests(Send), host.Requests(List)));
    }

    [Fact]
    public async Task ADeliveryReportThatOvertakesTheSenderIsThatTextAndEndsItsSend()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await OutboundHost.StartAsync(clock: clock, simulatorSettings: new Dictionary<string, string?> { ["OpenPhone:Simulator:DeliveryDelay"] = "00:00:00" });
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        host.Simulator.Traffic.Script([new ScriptedFault(FaultKind.AcceptThenCrash, Send)]);

        var id = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Quote: $450" })))["sendMessage"]!);
        var delivered = await host.WaitForAsync(id, MessageStatus.Delivered);
        clock.Advance(TimeSpan.FromMinutes(10));
        ClaimResult next;
        await using (var scope = host.App.Services.CreateAsyncScope())
        {
            next = await scope.ServiceProvider.GetRequiredService<OutboundOperations>().ClaimNextAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        }

        Assert.Equal(Assert.Single(host.SentTo(0)).Id, delivered.OpenPhoneId);
        Assert.Equal(1, await host.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(OutboundState.Done, (await host.OutboxAsync(id)).State);
        Assert.Null(next.Claim);
        Assert.Equal((1L, 0L), (host.Requests(Send), host.Requests(List)));
    }

    [Fact]
    public async Task ATextLeftSendingByACrashedInstanceIsReconciledOnceItsLeaseRunsOut()
    {
        await using var crashed = await OutboundHost.StartAsync(workers: 0);
        var (_, conversations) = await crashed.ArrangeAsync(2);
        var client = await crashed.ClientAsync();
        var landed = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Landed before the crash" })))["sendMessage"]!);
        var lost = ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[1].Id), body = "Lost in the crash" })))["sendMessage"]!);
        // What a kill -9 between OpenPhone's accepting the first and our recording it leaves: both claimed, neither with an id.
        var landedAtOpenPhone = crashed.Simulator.Account.AddMessage(crashed.Simulator.Account.Lines[0], "+16175551000", incoming: false, "Landed before the crash", "sent");
        await crashed.QueryAsync(db => db.OutboundMessages.ExecuteUpdateAsync(s => s
            .SetProperty(o => o.State, OutboundState.Sending)
            .SetProperty(o => o.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1))
            .SetProperty(o => o.FirstSendAt, DateTimeOffset.UtcNow.AddSeconds(-30))
            .SetProperty(o => o.ClaimToken, Guid.NewGuid())));

        await using var restarted = await crashed.SecondInstanceAsync(workers: 1);
        var reconciled = await restarted.WaitForAsync(landed, MessageStatus.Sent);
        var resent = await restarted.WaitForAsync(lost, MessageStatus.Sent);

        Assert.Equal(landedAtOpenPhone.Id, reconciled.OpenPhoneId);
        Assert.Equal("Landed before the crash", Assert.Single(restarted.SentTo(0)).Text);
        Assert.Equal("Lost in the crash", Assert.Single(restarted.SentTo(1)).Text);
        Assert.Equal((1L, 2L), (restarted.Requests(Send), restarted.Requests(List)));
    }

    [Fact]
    public async Task TwoInstancesDrainingOneQueueSendEveryTextExactlyOnce()
    {
        await using var enqueuer = await OutboundHost.StartAsync(workers: 0);
        var (_, conversations) = await enqueuer.ArrangeAsync(30);
        var client = await enqueuer.ClientAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < conversations.Count; i++)
        {
            ids.Add(ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[i].Id), body = $"Text #{i}" })))["sendMessage"]!));
        }

        await using var a = await enqueuer.SecondInstanceAsync(workers: 2);
        await using var b = await enqueuer.SecondInstanceAsync(workers: 2);
        foreach (var id in ids)
        {
            await a.WaitForAsync(id, MessageStatus.Sent);
        }

        var bodies = Enumerable.Range(0, 30).SelectMany(enqueuer.SentTo).Select(m => m.Text).ToList();
        Assert.Equal(30, bodies.Count);
        Assert.Equal(30, bodies.Distinct().Count());
        Assert.Equal(30L, enqueuer.Requests(Send));
        Assert.Equal(30, await enqueuer.QueryAsync(db => db.Activities.Select(x => x.OpenPhoneId).Distinct().CountAsync()));
    }

    [Fact]
    public async Task OnlyAQueuedTextCanBeCancelledAndACancelledOneIsNeverSent()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0);
        var (_, conversations) = await host.ArrangeAsync();
        var client = await host.ClientAsync();
        var id = NodeId.Encode("Activity", ActivityId((await client.DataAsync(SendMutation, Input(new { conversationId = NodeId.Encode("Conversation", conversations[0].Id), body = "Oops, wrong customer" })))["sendMessage"]!));
        const string Cancel = "mutation($id: ID!) { cancelMessage(input: { id: $id }) { activity { status } errors { __typename ... on MessageStateError { status } } } }";

        var cancelled = await client.DataAsync(Cancel, new { id });
        var again = await client.DataAsync(Cancel, new { id });
        var retried = await client.DataAsync("mutation($id: ID!) { retryMessage(input: { id: $id }) { activity { status } errors { __typename ... on MessageStateError { status } } } }", new { id });
        await using var sender = await host.SecondInstanceAsync(workers: 1);
        await using (var scope = sender.App.Services.CreateAsyncScope())
        {
            var claim = await scope.ServiceProvider.GetRequiredService<OutboundOperations>().ClaimNextAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
            Assert.Null(claim.Claim);
        }

        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(new JsonArray(cancelled.DeepClone(), again.DeepClone(), retried.DeepClone()).ToJsonString()));
        Assert.Equal(0L, sender.Requests(Send));
    }

    [Fact]
    public async Task AStaffTextGoesAheadOfBulkTextsQueuedBeforeIt()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0);
        var (_, conversations) = await host.ArrangeAsync(3);
        await using var scope = host.App.Services.CreateAsyncScope();
        var outbound = scope.ServiceProvider.GetRequiredService<OutboundOperations>();
        var bulk1 = await outbound.EnqueueAsync(new SendRequest(conversations[0].Id, null, null, "Spring campaign", null, OutboundPriority.Bulk), CancellationToken.None);
        var bulk2 = await outbound.EnqueueAsync(new SendRequest(conversations[1].Id, null, null, "Spring campaign", null, OutboundPriority.Bulk), CancellationToken.None);
        var staff = await outbound.EnqueueAsync(new SendRequest(conversations[2].Id, null, null, "Running 10 minutes late", null), CancellationToken.None);

        var order = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            order.Add((await outbound.ClaimNextAsync(TimeSpan.FromMinutes(1), CancellationToken.None)).Claim!.ActivityId);
        }

        Assert.Equal([staff.Id, bulk1.Id, bulk2.Id], order);
    }

    private static object Input(object input) => new { input };

    private static Guid ActivityId(JsonNode payload)
    {
        Assert.True(payload["errors"] is null, payload.ToJsonString());
        return NodeId.Decode(payload["activity"]!["id"]!.GetValue<string>(), "Activity");
    }

    /// <summary>An incoming text from the first arranged contact, as OpenPhone's message.received delivers it.</summary>
    internal static string Inbound(string body, string messageId, string lineId, string ourNumber, DateTimeOffset at)
    {
        var payload = JsonNode.Parse(WebhookSender.Sample("message.received.json"))!;
        payload["id"] = "EV" + messageId[2..];
        var message = payload["data"]!["object"]!;
        message["id"] = messageId;
        message["from"] = "+16175551000";
        message["to"] = new JsonArray(ourNumber);
        message["phoneNumberId"] = lineId;
        message["text"] = body;
        message["createdAt"] = at.ToString("O");
        return payload.ToJsonString();
    }

    private async Task<(string Conversation, string ContactWithoutPhone)> ArrangeSharedAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var line = new Crm.Data.PhoneNumbers.PhoneNumber { OpenPhoneId = "PNshared0001", Number = "+16175550100" };
        var contact = new Crm.Data.Contacts.Contact { FirstName = "Pat", Phone = "+16175550142", CreatedAt = now, UpdatedAt = now };
        var noPhone = new Crm.Data.Contacts.Contact { FirstName = "Email only", Email = "x@example.com", CreatedAt = now, UpdatedAt = now };
        var conversation = new Crm.Data.Conversations.Conversation { ContactId = contact.Id, PhoneNumberId = line.Id, CreatedAt = now, LastActivityAt = now };
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, contact, noPhone, conversation);
            return Task.CompletedTask;
        });
        return (NodeId.Encode("Conversation", conversation.Id), NodeId.Encode("Contact", noPhone.Id));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 300 && !await condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(await condition());
    }
}
