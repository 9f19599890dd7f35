using System.Diagnostics;
using System.Net;
using Crm.Jobs.OpenPhone;
using Crm.OpenPhoneSimulator;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Tests.OpenPhone;

/// <summary>The client and its resilience pipeline against the simulator over real HTTP.</summary>
public sealed class OpenPhoneClientTests
{
    private const string Messages = "POST /v1/messages";
    private const string PhoneNumbers = "GET /v1/phone-numbers";

    [Fact]
    public async Task PagingWalksEveryPageOnce()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        using var host = simulator.Client();

        var pages = new List<OpenPhonePage<OpenPhoneConversation>>();
        await foreach (var page in OpenPhoneClient.PagesAsync(new OpenPhoneConversationQuery { MaxResults = 10 }, host.Client.ListConversationsAsync, CancellationToken.None))
        {
            Assert.True(page.Succeeded, page.Error?.Message);
            pages.Add(page.Value);
        }

        var line = simulator.Account.Lines[0];
        var contact = simulator.Account.Contacts[3];
        var messages = await host.Client.ListMessagesAsync(new OpenPhoneMessageQuery(line.Id, [contact.Phone]) { MaxResults = 3 }, CancellationToken.None);
        var rest = await host.Client.ListMessagesAsync(new OpenPhoneMessageQuery(line.Id, [contact.Phone]) { MaxResults = 3, PageToken = messages.Value!.NextPageToken }, CancellationToken.None);

        Assert.Equal([10, 10, 5], pages.Select(p => p.Data.Count));
        Assert.Equal(25, pages.SelectMany(p => p.Data).Select(c => c.Id).Distinct().Count());
        Assert.Null(pages[^1].NextPageToken);
        Assert.Equal(3, simulator.Traffic.Stats().Requests["GET /v1/conversations"]);
        Assert.Equal((3, 1), (messages.Value.Data.Count, rest.Value!.Data.Count));
        Assert.All(messages.Value.Data.Concat(rest.Value.Data), m => Assert.Contains(contact.Phone, m.Direction == "incoming" ? [m.From!] : m.To!));
    }

    [Fact]
    public async Task ErrorStatusesBecomeTypedErrorsAndFourHundredsAreNotRetried()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        using var host = simulator.Client();
        var line = simulator.Account.Lines[0];

        var notFound = await host.Client.GetCallSummaryAsync("ACnosuchcall", CancellationToken.None);
        var invalid = await host.Client.SendMessageAsync(new OpenPhoneSendMessage(" ", line.Id, ["+1617555", "+16175550111"]), CancellationToken.None);
        simulator.Traffic.Script([new ScriptedFault(FaultKind.Status, Messages, Status: 402, Code: "0200402", Message: "Not Enough Credits")]);
        var noCredits = await host.Client.SendMessageAsync(new OpenPhoneSendMessage("Hello", line.Id, ["+16175550111"]), CancellationToken.None);

        Assert.Equal((404, "0504404", false), (notFound.Error!.Status, notFound.Error.Code, notFound.Error.Transient));
        Assert.Equal((400, "0200400", false), (invalid.Error!.Status, invalid.Error.Code, invalid.Error.Transient));
        Assert.Equal(["/content", "/to"], invalid.Error.Errors.Select(e => e.Path));
        Assert.Equal((402, "0200402", "Not Enough Credits", false), (noCredits.Error!.Status, noCredits.Error.Code, noCredits.Error.Message, noCredits.Error.Transient));
        var stats = simulator.Traffic.Stats();
        Assert.Equal((1, 2, 0), (stats.Requests["GET /v1/call-summaries/{callId}"], stats.Requests[Messages], stats.MessagesAccepted));
    }

    [Fact]
    public async Task A429IsRetriedAfterItsRetryAfterForAReadAndHandedBackForASend()
    {
        await using var simulator = await SimulatorServer.StartAsync(new Dictionary<string, string?> { ["OpenPhone:Simulator:Faults:RetryAfterSeconds"] = "1" });
        using var host = simulator.Client();
        var line = simulator.Account.Lines[0];
        simulator.Traffic.Script([new ScriptedFault(FaultKind.RateLimit, PhoneNumbers), new ScriptedFault(FaultKind.RateLimit, Messages)]);

        var watch = Stopwatch.StartNew();
        var lines = await host.Client.ListPhoneNumbersAsync(CancellationToken.None);
        var waited = watch.Elapsed;
        var sent = await host.Client.SendMessageAsync(new OpenPhoneSendMessage("Hello", line.Id, ["+16175550111"]), CancellationToken.None);

        Assert.True(lines.Succeeded, lines.Error?.Message);
        // Retries wait 10 ms by configuration: only the Retry-After header makes this one wait a second.
        Assert.InRange(waited, TimeSpan.FromMilliseconds(950), TimeSpan.FromSeconds(10));
        // A send waits for its next turn of the shared pace instead: the outbound pipe retries it.
        Assert.Equal((429, true, false, TimeSpan.FromSeconds(1)), (sent.Error!.Status, sent.Error.Transient, sent.Error.MayHaveLanded, sent.Error.RetryAfter));
        var stats = simulator.Traffic.Stats();
        Assert.Equal((2, 1, 0), (stats.Requests[PhoneNumbers], stats.Requests[Messages], stats.MessagesAccepted));
    }

    [Fact]
    public async Task A500IsRetriedForAReadButNotForASend()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        using var host = simulator.Client();
        var line = simulator.Account.Lines[0];
        simulator.Traffic.Script([new ScriptedFault(FaultKind.ServerError, PhoneNumbers), new ScriptedFault(FaultKind.ServerError, Messages)]);

        var lines = await host.Client.ListPhoneNumbersAsync(CancellationToken.None);
        var sent = await host.Client.SendMessageAsync(new OpenPhoneSendMessage("Hello", line.Id, ["+16175550111"]), CancellationToken.None);

        Assert.Equal([line.Id], lines.Value!.Data.Select(l => l.Id));
        Assert.Equal((500, true, true), (sent.Error!.Status, sent.Error.Transient, sent.Error.MayHaveLanded));
        var stats = simulator.Traffic.Stats();
        Assert.Equal((2, 1), (stats.Requests[PhoneNumbers], stats.Requests[Messages]));
    }

    [Fact]
    public async Task TheCircuitOpensAfterRepeatedFailuresAndStopsCallingOpenPhone()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        using var host = simulator.Client(new Dictionary<string, string?>
        {
            ["OpenPhone:Resilience:Retry:MaxRetryAttempts"] = "1",
            ["OpenPhone:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
            ["OpenPhone:Resilience:CircuitBreaker:FailureRatio"] = "0.5",
            ["OpenPhone:Resilience:CircuitBreaker:BreakDuration"] = "00:01:00",
        });
        simulator.Traffic.Script([new ScriptedFault(FaultKind.ServerError, PhoneNumbers, Count: 10)]);

        var first = await host.Client.ListPhoneNumbersAsync(CancellationToken.None);
        var second = await host.Client.ListPhoneNumbersAsync(CancellationToken.None);

        Assert.Equal(500, first.Error!.Status);
        Assert.Equal((0, true), (second.Error!.Status, second.Error.Transient));
        Assert.Contains("circuit", second.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, simulator.Traffic.Stats().Requests[PhoneNumbers]);
    }

    [Fact]
    public async Task TheEleventhRequestWithinASecondIsRateLimited()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var simulator = await SimulatorServer.StartAsync(clock: clock);
        using var http = new HttpClient { BaseAddress = simulator.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", SimulatorServer.ApiKey);

        var statuses = new List<HttpStatusCode>();
        TimeSpan? retryAfter = null;
        for (var i = 0; i < 11; i++)
        {
            using var response = await http.GetAsync(new Uri("v1/phone-numbers", UriKind.Relative));
            statuses.Add(response.StatusCode);
            retryAfter ??= response.Headers.RetryAfter?.Delta;
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        using var later = await http.GetAsync(new Uri("v1/phone-numbers", UriKind.Relative));

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 10), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal((12, 1, 10), (simulator.Traffic.Stats().Requests[PhoneNumbers], simulator.Traffic.Stats().RateLimited, simulator.Traffic.Stats().MaxRequestsInOneSecond));
    }

    [Fact]
    public async Task AcceptedThenCrashedIsATransientFailureWhileTheSimulatorSentTheMessage()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        using var host = simulator.Client();
        var line = simulator.Account.Lines[0];
        simulator.Traffic.Script([new ScriptedFault(FaultKind.AcceptThenCrash, Messages), new ScriptedFault(FaultKind.Drop, PhoneNumbers)]);

        var sent = await host.Client.SendMessageAsync(new OpenPhoneSendMessage("Did this go out?", line.Id, ["+16175550177"]), CancellationToken.None);
        var dropped = await host.Client.ListPhoneNumbersAsync(CancellationToken.None);
        var history = await host.Client.ListMessagesAsync(new OpenPhoneMessageQuery(line.Id, ["+16175550177"]), CancellationToken.None);

        Assert.Equal((0, true), (sent.Error!.Status, sent.Error.Transient));
        Assert.True(dropped.Succeeded, "a dropped read is retried");
        Assert.Equal(["Did this go out?"], history.Value!.Data.Select(m => m.Text));
        var stats = simulator.Traffic.Stats();
        // Sent once, never re-sent blindly: reconciling is the outbound pipe's job.
        Assert.Equal((1, 1, 2), (stats.Requests[Messages], stats.MessagesAccepted, stats.Requests[PhoneNumbers]));
    }

    [Fact]
    public async Task TheKeyAndPhoneNumbersStayOutOfTheLogs()
    {
        await using var simulator = await SimulatorServer.StartAsync();
        using var host = simulator.Client();
        var line = simulator.Account.Lines[0];
        var phone = simulator.Account.Contacts[0].Phone;
        simulator.Traffic.Script([new ScriptedFault(FaultKind.RateLimit, "GET /v1/messages"), new ScriptedFault(FaultKind.ServerError, Messages)]);

        await host.Client.ListMessagesAsync(new OpenPhoneMessageQuery(line.Id, [phone]), CancellationToken.None);
        await host.Client.SendMessageAsync(new OpenPhoneSendMessage("Private body text", line.Id, [phone]), CancellationToken.None);
        await host.Client.GetCallVoicemailAsync("ACnosuchcall", CancellationToken.None);

        var entries = host.Logs.Entries.ToList();
        Assert.Contains(entries, e => e.Message.Contains("Request Headers", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Category.Contains("OpenPhoneClient", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.DoesNotContain(SimulatorServer.ApiKey, e.Message, StringComparison.Ordinal));
        Assert.All(entries, e => Assert.DoesNotContain("Private body text", e.Message, StringComparison.Ordinal));
        var phoneDigits = Uri.EscapeDataString(phone);
        Assert.All(entries.Where(e => e.Level > Microsoft.Extensions.Logging.LogLevel.Debug), e => Assert.DoesNotContain(phoneDigits, e.Message, StringComparison.Ordinal));
        Assert.All(entries.Where(e => e.Level > Microsoft.Extensions.Logging.LogLevel.Debug), e => Assert.DoesNotContain(phone, e.Message, StringComparison.Ordinal));
    }
}
