using System.Net;
using Crm.Data.Events;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Snapshooter;
using Snapshooter.Xunit;

namespace Crm.Tests.Webhooks;

/// <summary>Deliveries through HTTP: every sample, both signature schemes, idempotency and every way to be refused.</summary>
public sealed class WebhookReceiverTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private readonly WebhookSender _sender = new(fixture.Factory);

    public static TheoryData<string> Samples() =>
    [
        "message.received.json",
        "message.received.2026-03-30.json",
        "message.delivered.json",
        "call.ringing.json",
        "call.completed.json",
        "call.recording.completed.json",
        "call.summary.completed.json",
        "call.transcript.completed.json",
        "contact.updated.json",
        "contact.deleted.json",
    ];

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task EverySampleSignedWithATestKeyProducesTheExpectedRows(string sample)
    {
        var body = WebhookSender.Sample(sample);
        // The samples that act on something existing get it first: the call a summary belongs to, the linked contact.
        if (sample.StartsWith("call.summary", StringComparison.Ordinal) || sample.StartsWith("call.transcript", StringComparison.Ordinal))
        {
            using var call = await _sender.PostLegacyAsync(Payloads.CallCompleted("EVthecall", Payloads.SummarizedCallId));
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        }

        if (sample == "contact.deleted.json")
        {
            await Fixture.ArrangeAsync(db =>
            {
                db.Contacts.Add(new() { FirstName = "Leslie", Phone = "+16175550177", OpenPhoneContactId = "CT65c3ad28f1b2c3d4e5f60718", CreatedAt = TestData.Epoch, UpdatedAt = TestData.Epoch });
                return Task.CompletedTask;
            });
        }

        // The 2026-03-30 system signs with Standard Webhooks; the legacy generations with openphone-signature.
        using var response = sample.Contains("2026-03-30", StringComparison.Ordinal)
            ? await _sender.PostStandardAsync(body)
            : await _sender.PostLegacyAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Snapshot.Match(await Fixture.QueryAsync(WebhookRows.ReadAsync), SnapshotNameExtension.Create(sample.Replace(".json", string.Empty, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheSameDeliveryPostedTenTimesConcurrentlyStoresOneEventAndOneActivity()
    {
        var body = WebhookSender.Sample("message.received.json");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => _sender.PostLegacyAsync(body)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
        var conversation = await Fixture.QueryAsync(db => db.Conversations.SingleAsync());
        Assert.Equal(1, conversation.UnreadCount);
    }

    [Fact]
    public async Task TenDifferentEventsAboutOneNewMessageRacingEachOtherStoreOneContactConversationAndActivity()
    {
        var template = WebhookSender.Sample("message.received.json");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            _sender.PostLegacyAsync(template.Replace("EVc67ec998b35c41d388af50799aeeba3e", $"EVrace{i}", StringComparison.Ordinal))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var statuses = await Fixture.QueryAsync(db => db.WebhookEvents.Select(e => e.Status).ToListAsync());
        Assert.Equal(10, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(Crm.Data.Webhooks.WebhookEventStatus.Processed, s));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Conversations.CountAsync()));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(1, (await Fixture.QueryAsync(db => db.Conversations.SingleAsync())).UnreadCount);
    }

    [Fact]
    public async Task LostRacesAndRedeliveriesAreHandledWithoutAWarningOrAStackTrace()
    {
        var template = WebhookSender.Sample("message.received.json");
        Fixture.Factory.Logs.Entries.Clear();

        // Ten events about one new message, and nine redeliveries of one of them, at once.
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).SelectMany(i => new[]
        {
            _sender.PostLegacyAsync(template.Replace("EVc67ec998b35c41d388af50799aeeba3e", $"EVrace{i}", StringComparison.Ordinal)),
            _sender.PostLegacyAsync(template),
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var logs = Fixture.Factory.Logs.Entries.ToList();
        Assert.Empty(logs.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Level} {e.Category}: {e.Message}"));
        // Redeliveries in one batch, or of an event stored by an earlier one, are counted, not inserted again.
        Assert.Equal(10, await Fixture.QueryAsync(db => db.WebhookEvents.Where(e => e.EventId == "EVc67ec998b35c41d388af50799aeeba3e").Select(e => e.Deliveries).SingleAsync()));
        Assert.Equal(11, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
        Assert.Equal(1, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task ARedeliveredEventIdIsAnsweredOkAndNotStoredOrProcessedAgain()
    {
        var body = WebhookSender.Sample("message.received.json");
        using var first = await _sender.PostLegacyAsync(body);
        await Fixture.ArrangeAsync(async db => (await db.Conversations.SingleAsync()).UnreadCount = 0);

        using var second = await _sender.PostLegacyAsync(body);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
        Assert.Equal(0, (await Fixture.QueryAsync(db => db.Conversations.SingleAsync())).UnreadCount);
    }

    [Fact]
    public async Task AResentMessageUnderANewEventIdUpdatesTheActivityAndNeverDuplicatesIt()
    {
        var body = WebhookSender.Sample("message.received.json");
        using var first = await _sender.PostLegacyAsync(body);

        using var second = await _sender.PostLegacyAsync(body
            .Replace("EVc67ec998b35c41d388af50799aeeba3e", "EVresent", StringComparison.Ordinal)
            .Replace("Hello, world!", "Hello, world (edited)", StringComparison.Ordinal));

        var activity = await Fixture.QueryAsync(db => db.Activities.SingleAsync());
        Assert.Equal("Hello, world (edited)", activity.Body);
        Assert.Equal(2, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
        Assert.Equal(1, (await Fixture.QueryAsync(db => db.Conversations.SingleAsync())).UnreadCount);
    }

    [Fact]
    public async Task AnUnknownEventTypeIsStoredAsIgnoredAndAnsweredOk()
    {
        using var response = await _sender.PostLegacyAsync("""{"id":"EVtask1","object":"event","apiVersion":"v4","createdAt":"2026-01-01T00:00:00Z","type":"task.created","data":{"object":{"id":"TK1"}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal(Crm.Data.Webhooks.WebhookEventStatus.Ignored, stored.Status);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
    }

    [Fact]
    public async Task TolerantParsingAcceptsBodyOrTextCommaJoinedToAndMediaAsUrlStrings()
    {
        using var response = await _sender.PostLegacyAsync("""
            {"id":"EVgroup","object":"event","apiVersion":"v3","createdAt":"2026-01-02T10:00:00Z","type":"message.received",
             "data":{"object":{"id":"ACgroup","object":"message","from":"(617) 555-0142","to":"+16175550100,+16175550199","direction":"incoming",
             "body":"Photo of the crack","media":["https://example.com/a.jpg"],"status":"received","createdAt":"2026-01-02T09:59:58Z",
             "phoneNumberId":"PNmain","conversationId":"CNgroup"}}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var activity = await Fixture.QueryAsync(db => db.Activities.SingleAsync());
        Assert.Equal("Photo of the crack", activity.Body);
        Assert.Equal("+16175550142", activity.FromNumber);
        Assert.Equal(["+16175550100", "+16175550199"], activity.ToNumbers);
        Assert.Equal("https://example.com/a.jpg", Assert.Single(activity.Media).Url);
        Assert.Equal("+16175550100", (await Fixture.QueryAsync(db => db.PhoneNumbers.SingleAsync())).Number);
    }

    [Fact]
    public async Task AnIncomingMessageIsPublishedOnTheEventBusAfterCommit()
    {
        var bus = Fixture.Factory.Services.GetRequiredService<IEventBus>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var events = bus.SubscribeAsync(MessageReceived.TopicName, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = events.MoveNextAsync();

        using var response = await _sender.PostLegacyAsync(WebhookSender.Sample("message.received.json"));

        Assert.True(await next);
        var published = Assert.IsType<MessageReceived>(events.Current);
        var activity = await Fixture.QueryAsync(db => db.Activities.SingleAsync());
        Assert.Equal(activity.Id, published.ActivityId);
        Assert.Equal(activity.ConversationId, published.ConversationId);
    }

    [Fact]
    public async Task StandardWebhooksAndLegacySignaturesAreBothAccepted()
    {
        var legacy = WebhookSender.Sample("message.received.json");
        var standard = WebhookSender.Sample("message.received.2026-03-30.json");

        using var legacyResponse = await _sender.PostLegacyAsync(legacy);
        using var standardResponse = await _sender.PostStandardAsync(standard);
        // Seconds instead of milliseconds, and a second (stale, wrong) signature beside the good one.
        var seconds = legacy.Replace("EVc67ec998b35c41d388af50799aeeba3e", "EVseconds", StringComparison.Ordinal);
        using var secondsResponse = await _sender.PostAsync(seconds, new Dictionary<string, string>
        {
            ["openphone-signature"] = $"{WebhookSender.LegacySignature(seconds, WebhookSender.UnknownKey)},{WebhookSender.LegacySignature(seconds, seconds: true)}",
        });

        Assert.Equal(HttpStatusCode.OK, legacyResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, standardResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, secondsResponse.StatusCode);
        Assert.Equal(3, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
    }

    [Fact]
    public async Task DuringKeyRotationTheOldAndTheNewKeyAreBothAccepted()
    {
        var body = WebhookSender.Sample("message.received.json");

        using var old = await _sender.PostLegacyAsync(body, WebhookSender.LegacyKey);
        using var rotated = await _sender.PostLegacyAsync(body.Replace("EVc67ec998b35c41d388af50799aeeba3e", "EVrotated", StringComparison.Ordinal), WebhookSender.RotatedLegacyKey);

        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(2, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
    }

    public static TheoryData<string> Rejections() =>
    [
        "missing header",
        "malformed legacy header",
        "malformed standard header",
        "wrong key",
        "wrong standard key",
        "body altered by one byte",
        "legacy timestamp outside the window",
        "standard timestamp outside the window",
        "standard id altered",
    ];

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task AnUnverifiableDeliveryIs401WithAnEmptyBodyAndWritesNothing(string rejection)
    {
        var body = WebhookSender.Sample("message.received.json");
        var stale = DateTimeOffset.UtcNow.AddMinutes(-6);
        var headers = rejection switch
        {
            "missing header" => [],
            "malformed legacy header" => new() { ["openphone-signature"] = "hmac;1;notatimestamp" },
            "malformed standard header" => new() { ["webhook-id"] = "msg_1", ["webhook-timestamp"] = "soon", ["webhook-signature"] = "v1,abc" },
            "wrong key" => new() { ["openphone-signature"] = WebhookSender.LegacySignature(body, WebhookSender.UnknownKey) },
            "wrong standard key" => WebhookSender.StandardHeaders(body, "whsec_" + WebhookSender.UnknownKey),
            "body altered by one byte" => new() { ["openphone-signature"] = WebhookSender.LegacySignature(body.Replace("Hello, world!", "Hello, world?", StringComparison.Ordinal)) },
            "legacy timestamp outside the window" => new() { ["openphone-signature"] = WebhookSender.LegacySignature(body, at: stale) },
            "standard timestamp outside the window" => WebhookSender.StandardHeaders(body, at: stale),
            "standard id altered" => WithId(WebhookSender.StandardHeaders(body), "msg_other"),
            _ => throw new ArgumentOutOfRangeException(nameof(rejection)),
        };

        using var response = await _sender.PostAsync(body, headers);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        await AssertNothingWrittenAsync();
    }

    [Fact]
    public async Task ABodyOver256KilobytesIs413AndWritesNothing()
    {
        var padding = new string(' ', 256 * 1024);
        var body = WebhookSender.Sample("message.received.json").Replace("\"object\": \"event\",", $"\"object\": \"event\",{padding}", StringComparison.Ordinal);

        using var response = await _sender.PostLegacyAsync(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertNothingWrittenAsync();
    }

    [Fact]
    public async Task ASignedBodyThatIsNotAnEventIs400AndWritesNothing()
    {
        using var response = await _sender.PostLegacyAsync("[1, 2, 3]");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertNothingWrittenAsync();
    }

    private static Dictionary<string, string> WithId(Dictionary<string, string> headers, string id)
    {
        headers["webhook-id"] = id;
        return headers;
    }

    private async Task AssertNothingWrittenAsync()
    {
        Assert.Equal(0, await Fixture.QueryAsync(db => db.WebhookEvents.CountAsync()));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.Contacts.CountAsync()));
    }
}
