using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Consent;
using Crm.OpenPhoneSimulator;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Importing;

/// <summary>The OpenPhone history import against the simulator over real HTTP: whole, again, incremental, with faults, cancelled.</summary>
public sealed class HistoryImportTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Start = """
        mutation($input: StartOpenPhoneImportInput) {
          startOpenPhoneImport(input: $input) { job { id kind status } errors { __typename ... on Error { message } } }
        }
        """;

    private const string Job = """
        query($id: ID!) {
          importJob(id: $id) { id kind status phase total done failed startedAt finishedAt eta runs failureReason reportUrl errors(first: 10) { nodes { item message } } }
        }
        """;

    /// <summary>Every seeded conversation is one contact on one line: 12 conversations, 4 texts and 1 call each.</summary>
    internal static Dictionary<string, string?> Account(int conversations = 12) => new()
    {
        ["OpenPhone:Simulator:Seed:Lines"] = "2",
        ["OpenPhone:Simulator:Seed:Contacts"] = (conversations / 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["OpenPhone:Simulator:Seed:Conversations"] = conversations.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["OpenPhone:Simulator:Seed:MessagesPerConversation"] = "4",
        ["OpenPhone:Simulator:Seed:CallsPerConversation"] = "1",
    };

    internal static readonly Dictionary<string, string?> ImportingHost = new() { ["Imports:Workers"] = "1", ["Imports:PollInterval"] = "00:00:00.200" };

    [Fact]
    public async Task TheWholeHistoryIsImportedAndASecondRunAddsNothing()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: Account(), hostSettings: ImportingHost);
        var client = await host.ClientAsync();

        var first = await RunAsync(client, new { full = true });
        var state = await StateAsync(host);
        var requests = host.Simulator.Traffic.Stats().Requests.Values.Sum();
        var second = await RunAsync(client, new { full = true });

        Assert.Equal(("SUCCEEDED", 12, 12, 0), (first["status"]!.GetValue<string>(), first["total"]!.GetValue<int>(), first["done"]!.GetValue<int>(), first["failed"]!.GetValue<int>()));
        Assert.Equal(Expected(host.Simulator.Account), state.Activities);
        Assert.Equal((12, 6, 2), (state.Conversations, state.Contacts, state.Lines));
        Assert.Equal(state, await StateAsync(host));
        Assert.Equal(("SUCCEEDED", 12), (second["status"]!.GetValue<string>(), second["done"]!.GetValue<int>()));
        // The second run lists and reads the history again, but asks for no call detail it already has.
        var detailRequests = host.Simulator.Traffic.Stats().Requests.Where(r => r.Key.Contains("call-", StringComparison.Ordinal)).Sum(r => r.Value);
        Assert.True(host.Simulator.Traffic.Stats().Requests.Values.Sum() - requests < requests, "the second run made as many requests as the first");
        Assert.Equal(DetailRequests(host.Simulator.Account), detailRequests);
        // Texts sent from OpenPhone months ago were delivered then, not when the import read them.
        var sent = await host.QueryAsync(db => db.Activities.AsNoTracking().Where(a => a.Kind == ActivityKind.Message && a.Direction == ActivityDirection.Outgoing).ToListAsync());
        Assert.NotEmpty(sent);
        Assert.All(sent, a => Assert.Equal((MessageStatus.Delivered, a.OccurredAt, a.OccurredAt), (a.OutboundStatus, a.SentAt, a.DeliveredAt)));
    }

    [Fact]
    public async Task AnIncrementalRunReadsOnlyConversationsUpdatedSinceTheLastRun()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: Account(), hostSettings: ImportingHost);
        var client = await host.ClientAsync();
        await RunAsync(client, new { full = true });
        var account = host.Simulator.Account;
        var line = account.Lines[0];
        var participant = account.Conversations([line.Id], null)[0].Participants[0];
        var reply = account.AddMessage(line, participant, incoming: true, "Can you come Friday instead?", "received");

        var before = host.Simulator.Traffic.Stats().Requests.GetValueOrDefault("GET /v1/messages");
        var incremental = await RunAsync(client, null);

        Assert.Equal(("SUCCEEDED", 1, 1), (incremental["status"]!.GetValue<string>(), incremental["total"]!.GetValue<int>(), incremental["done"]!.GetValue<int>()));
        Assert.Equal(1, host.Simulator.Traffic.Stats().Requests["GET /v1/messages"] - before);
        var imported = await host.QueryAsync(db => db.Activities.AsNoTracking().SingleAsync(a => a.OpenPhoneId == reply.Id));
        Assert.Equal(("Can you come Friday instead?", ActivityDirection.Incoming), (imported.Body, imported.Direction));
    }

    [Fact]
    public async Task WithServerErrorsAndRateLimitsInjectedEveryConversationStillArrives()
    {
        var settings = Account(20);
        settings["OpenPhone:Simulator:Faults:ServerErrorRate"] = "0.15";
        settings["OpenPhone:Simulator:Faults:RateLimitRate"] = "0.05";
        settings["OpenPhone:Simulator:Faults:RetryAfterSeconds"] = "0";
        var hostSettings = new Dictionary<string, string?>(ImportingHost)
        {
            ["Imports:OpenPhone:RetryDelay"] = "00:00:00.050",
            ["Imports:OpenPhone:CircuitWait"] = "00:00:00.500",
            ["OpenPhone:Resilience:CircuitBreaker:BreakDuration"] = "00:00:00.500",
        };
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: settings, hostSettings: hostSettings);

        var job = await RunAsync(await host.ClientAsync(), new { full = true });

        Assert.Equal(("SUCCEEDED", 20, 0), (job["status"]!.GetValue<string>(), job["done"]!.GetValue<int>(), job["failed"]!.GetValue<int>()));
        Assert.Equal(Expected(host.Simulator.Account), (await StateAsync(host)).Activities);
        Assert.True(host.Simulator.Traffic.Stats().FaultsInjected > 0, "no fault was injected");
    }

    [Fact]
    public async Task ARefusedConversationIsListedWithItsReasonAndTheRestIsImported()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: Account(), hostSettings: ImportingHost);
        var client = await host.ClientAsync();
        // The first conversation's calls are refused as bad input: trying again would not help.
        host.Simulator.Traffic.Script([new ScriptedFault(FaultKind.Status, "GET /v1/calls", Status: 400, Message: "participants: invalid")]);

        var job = await RunAsync(client, new { full = true });

        Assert.Equal(("SUCCEEDED", 11, 1), (job["status"]!.GetValue<string>(), job["done"]!.GetValue<int>(), job["failed"]!.GetValue<int>()));
        var error = Assert.Single(job["errors"]!["nodes"]!.AsArray())!;
        Assert.StartsWith("conversation CN", error["item"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("400", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHistoricalStopIsAnOptOutButGetsNoReplyMonthsLater()
    {
        var settings = Account(2);
        settings["OpenPhone:Simulator:Seed:MessagesPerConversation"] = "0";
        settings["OpenPhone:Simulator:Seed:CallsPerConversation"] = "0";
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: settings, hostSettings: ImportingHost);
        var account = host.Simulator.Account;
        var contact = account.Contacts[0];
        account.AddMessage(account.Lines[0], contact.Phone, incoming: true, "please stop texting me", "received", DateTimeOffset.UtcNow.AddDays(-90));

        await RunAsync(await host.ClientAsync(), new { full = true });

        var imported = await host.QueryAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.Phone == contact.Phone));
        Assert.Equal(SmsConsentStatus.OptedOut, imported.SmsConsent.Status);
        Assert.Equal(0, await host.QueryAsync(db => db.OutboundMessages.CountAsync()));
    }

    [Fact]
    public async Task AQueuedImportCanBeCancelledAndTheJobIsAudited()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: Account(), hostSettings: new Dictionary<string, string?> { ["Imports:Workers"] = "0" });
        var client = await host.ClientAsync();
        var id = (await client.DataAsync(Start, new { input = new { full = true } }))["startOpenPhoneImport"]!["job"]!["id"]!.GetValue<string>();
        var again = (await client.DataAsync(Start, new { input = (object?)null }))["startOpenPhoneImport"]!["job"]!["id"]!.GetValue<string>();

        var cancelled = (await client.DataAsync("mutation($id: ID!) { cancelImportJob(input: { id: $id }) { job { status phase } } }", new { id }))["cancelImportJob"]!["job"]!;
        var twice = await client.PostAsync("mutation($id: ID!) { cancelImportJob(input: { id: $id }) { errors { __typename ... on Error { message } } } }", new { id });

        Assert.Equal(id, again);
        Assert.Equal("CANCELLED", cancelled["status"]!.GetValue<string>());
        Assert.Equal("InvalidFieldError", twice.Data["cancelImportJob"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        var actions = await host.QueryAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.Action.StartsWith("import.")).Select(a => a.Action).ToListAsync());
        Assert.Equal(["import.cancelled", "import.started"], actions.Order());
    }

    [Fact]
    public async Task ARunningImportStopsAtItsNextStepWhenCancelled()
    {
        var hostSettings = new Dictionary<string, string?>(ImportingHost) { ["OpenPhone:RequestsPerSecond"] = "5", ["Imports:Lease"] = "00:00:01.500" };
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: Account(), hostSettings: hostSettings);
        var client = await host.ClientAsync();
        var id = (await client.DataAsync(Start, new { input = new { full = true } }))["startOpenPhoneImport"]!["job"]!["id"]!.GetValue<string>();
        await WaitAsync(client, id, job => job["done"]!.GetValue<int>() >= 1);

        var asked = (await client.DataAsync("mutation($id: ID!) { cancelImportJob(input: { id: $id }) { job { status } } }", new { id }))["cancelImportJob"]!["job"]!;
        var ended = await WaitAsync(client, id, job => job["finishedAt"] is not null);
        var requests = host.Simulator.Traffic.Stats().Requests.Values.Sum();
        await Task.Delay(1000);

        Assert.Equal("RUNNING", asked["status"]!.GetValue<string>());
        Assert.Equal("CANCELLED", ended["status"]!.GetValue<string>());
        Assert.InRange(ended["done"]!.GetValue<int>(), 1, 11);
        Assert.Equal(requests, host.Simulator.Traffic.Stats().Requests.Values.Sum());
    }

    [Fact]
    public async Task ImportJobUpdatedTellsASubscriberOfTheJobsChanges()
    {
        await using var host = await OutboundHost.StartAsync(workers: 0, simulatorSettings: Account(), hostSettings: new Dictionary<string, string?> { ["Imports:Workers"] = "0" });
        var client = await host.ClientAsync();
        var id = (await client.DataAsync(Start, new { input = new { full = true } }))["startOpenPhoneImport"]!["job"]!["id"]!.GetValue<string>();
        await using var ws = await Subscriptions.TransportWsClient.ConnectAndInitAsync(host.App, client.Http.DefaultRequestHeaders.Authorization!.Parameter!);
        await ws.SubscribeAsync("j", "subscription($id: ID) { importJobUpdated(id: $id) { id kind status } }", new { id });
        await ws.SyncAsync();

        await client.DataAsync("mutation($id: ID!) { cancelImportJob(input: { id: $id }) { job { id } } }", new { id });
        var next = await ws.ReceiveAsync();

        var job = next["payload"]!["data"]!["importJobUpdated"]!;
        Assert.Equal((id, "OPEN_PHONE_HISTORY", "CANCELLED"), (job["id"]!.GetValue<string>(), job["kind"]!.GetValue<string>(), job["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task OnlyAnAdminStartsTheHistoryImport()
    {
        var marketer = await Fixture.ClientAsAsync(Crm.Data.Users.CrmRole.Marketer);

        var refused = await marketer.PostAsync(Start, new { input = new { full = true } });

        Assert.Equal("AUTH_NOT_AUTHORIZED", refused.ErrorCode);
        Assert.Equal(0, await Fixture.QueryAsync(db => db.ImportJobs.CountAsync()));
    }

    /// <summary>Starts an import through the API and polls its job until it ends.</summary>
    internal static async Task<JsonNode> RunAsync(GraphQLClient client, object? input)
    {
        var id = (await client.DataAsync(Start, new { input }))["startOpenPhoneImport"]!["job"]!["id"]!.GetValue<string>();
        return await WaitAsync(client, id, job => job["finishedAt"] is not null);
    }

    private static async Task<JsonNode> WaitAsync(GraphQLClient client, string id, Func<JsonNode, bool> until)
    {
        for (var i = 0; i < 600; i++)
        {
            var job = (await client.DataAsync(Job, new { id }))["importJob"]!;
            if (until(job))
            {
                return job;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The import did not get there within 60 s.");
        return null!;
    }

    /// <summary>The timeline as the import should leave it: every message and call by id, with what each call had.</summary>
    internal static List<string> Expected(SimulatedAccount account)
    {
        var expected = new List<string>();
        foreach (var conversation in account.Conversations([], null))
        {
            var line = account.FindLine(conversation.PhoneNumberId)!;
            var participant = conversation.Participants[0];
            expected.AddRange(account.Messages(line, participant, null, null).Select(m => $"{m.Id} Message {m.Text}"));
            expected.AddRange(account.Calls(line, participant, null, null)
                .Select(c => $"{c.Id} Call {c.Status} recordings={(c.HasRecording ? 1 : 0)} summary={c.HasSummary} transcript={c.HasTranscript} voicemail={c.HasVoicemail}"));
        }

        return [.. expected.Order(StringComparer.Ordinal)];
    }

    private static long DetailRequests(SimulatedAccount account) =>
        account.Conversations([], null).Sum(c => account.Calls(account.FindLine(c.PhoneNumberId)!, c.Participants[0], null, null).Sum(call => call.AnsweredAt is null ? 1 : 3));

    internal static async Task<TimelineState> StateAsync(OutboundHost host) => await host.QueryAsync(async db => new TimelineState(
        [.. (await db.Activities.AsNoTracking().ToListAsync()).Select(Describe).Order(StringComparer.Ordinal)],
        await db.Conversations.CountAsync(),
        await db.Contacts.CountAsync(),
        await db.PhoneNumbers.CountAsync()));

    private static string Describe(Activity a) => a.Kind == ActivityKind.Message
        ? $"{a.OpenPhoneId} Message {a.Body}"
        : $"{a.OpenPhoneId} Call {a.Status} recordings={a.Recordings.Count} summary={a.AiSummary is not null} transcript={a.Transcript.Count > 0} voicemail={a.Voicemail is not null}";

    internal sealed record TimelineState(List<string> Activities, int Conversations, int Contacts, int Lines)
    {
        public bool Equals(TimelineState? other) => other is not null && Activities.SequenceEqual(other.Activities)
            && (Conversations, Contacts, Lines) == (other.Conversations, other.Contacts, other.Lines);

        public override int GetHashCode() => HashCode.Combine(Activities.Count, Conversations, Contacts, Lines);
    }
}
