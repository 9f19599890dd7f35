using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.GraphQL.Observability;
using Crm.Tests.Infrastructure;
using Crm.Tests.OpenPhone;
using Microsoft.Extensions.Logging;

namespace Crm.Tests.Observability;

/// <summary>
/// The server's console as a platform collects it: JSON lines with trace ids in Production, never a phone number or a
/// message body, whichever component wrote the line.
/// </summary>
public sealed class LogTests
{
    private const string AdminEmail = "logs-admin@example.com";
    private const string AdminPassword = "Logs-Admin-Passw0rd";
    private const string Body = "Crack by the back door, quote 7731 please";
    private const string Reply = "Ok see you Tuesday zebra-lantern";

    [Fact]
    public async Task InProductionEveryConsoleLineIsJsonWithTraceIdsAndNoPhoneNumberOrBody()
    {
        var connection = await PostgresFixture.CreateDatabaseAsync("crm_logs");
        var port = ServerProcess.FreePort();
        await using var simulator = await SimulatorServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenPhone:Simulator:WebhookUrl"] = $"http://127.0.0.1:{port}{WebhookSender.Path}",
            ["OpenPhone:Simulator:SigningKey"] = WebhookSender.LegacyKey,
            ["OpenPhone:Simulator:RequestsPerSecond"] = "100",
            ["OpenPhone:Simulator:DeliveryDelay"] = "00:00:00",
        });
        var settings = PostgresFixture.Settings();
        settings["ConnectionStrings:Crm"] = connection;
        settings["OpenPhone:ApiKey"] = SimulatorServer.ApiKey;
        settings["OpenPhone:ApiBaseUrl"] = simulator.BaseAddress.ToString();
        settings["OpenPhone:Outbound:Workers"] = "1";
        settings["Crm:Admin:Email"] = AdminEmail;
        settings["Crm:Admin:Password"] = AdminPassword;
        // Every request line too, query strings included: the masking, not the log levels, must keep numbers out.
        settings["Logging:LogLevel:Default"] = "Information";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Information";
        settings["Logging:LogLevel:System.Net.Http"] = "Information";
        await using var server = await ServerProcess.StartAsync(settings, port);
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.Address };
        using (var login = await http.PostAsJsonAsync("/auth/login", new { email = AdminEmail, password = AdminPassword }))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            http.DefaultRequestHeaders.Add("Cookie", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        }

        // An incoming text from a new number (its contact and conversation are made), then a reply sent to it.
        var line = simulator.Account.Lines[0];
        var incoming = WebhookSender.Sample("message.received.json")
            .Replace("Hello, world!", Body, StringComparison.Ordinal)
            .Replace("PNtoDbDhuz", line.Id, StringComparison.Ordinal)
            .Replace("+15555555555", line.Number, StringComparison.Ordinal);
        using (var delivered = await new WebhookSender(http).PostLegacyAsync(incoming))
        {
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }

        var client = new GraphQLClient(http);
        // Over GET: the request line logged carries the number, URL-encoded, in its query string (whatever the answer).
        using (await http.GetAsync("/graphql?query=" + Uri.EscapeDataString("""{ contacts(where: { phone: { eq: "+19876543210" } }) { nodes { id } } }""")))
        {
        }

        var conversation = await Eventually.GetAsync(
            async () => (await client.DataAsync("""{ contacts(where: { phone: { eq: "+19876543210" } }) { nodes { conversations { nodes { id } } } } }"""))["contacts"]!["nodes"]!.AsArray().FirstOrDefault(),
            "the contact of the text answered 200");
        var conversationId = conversation["conversations"]!["nodes"]![0]!["id"]!.GetValue<string>();
        var sent = await client.DataAsync(
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { activity { id } errors { __typename } } }",
            new { input = new { conversationId, body = Reply } });
        var activityId = sent["sendMessage"]!["activity"]!["id"]!.GetValue<string>();
        for (var i = 0; i < 300; i++)
        {
            var status = (await client.DataAsync("query($id: ID!) { node(id: $id) { ... on Activity { status } } }", new { id = activityId }))["node"]!["status"]?.GetValue<string>();
            if (status is "DELIVERED")
            {
                break;
            }

            Assert.True(i < 299, $"The reply is {status}, not delivered:\n{server.Output}");
            await Task.Delay(100);
        }

        await server.KillAsync();
        var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var entries = lines.Select(line =>
        {
            try
            {
                return JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                Assert.Fail($"Not a JSON line: {line}");
                throw;
            }
        }).ToList();

        Assert.Contains(entries, e => e.GetProperty("Category").GetString() == "Microsoft.AspNetCore.Hosting.Diagnostics"
            && e.TryGetProperty("Scopes", out var scopes) && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out _))
            && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestId", out _)));
        Assert.Contains(entries, e => e.GetProperty("Category").GetString()!.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
        // The net did mask something: the GET's request line.
        Assert.Contains(LogMasking.PhoneMask, server.Output, StringComparison.Ordinal);
        foreach (var secret in new[] { "9876543210", "987-654-3210", Body, "quote 7731", Reply, "zebra-lantern" })
        {
            Assert.DoesNotContain(secret, server.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AFormatterNameInConfigurationStillChoosesTheConsoleFormat()
    {
        var settings = PostgresFixture.Settings();
        settings["ConnectionStrings:Crm"] = await PostgresFixture.CreateDatabaseAsync("crm_logs_simple");
        settings["Logging:Console:FormatterName"] = "simple";
        var (exitCode, output) = await ServerProcess.RunToExitAsync(settings, "migrate");

        Assert.Equal(0, exitCode);
        var first = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.False(first.TrimStart().StartsWith('{'), output);
        Assert.Matches("^(trce|dbug|info|warn|fail|crit): ", first);
    }

    [Theory]
    [InlineData("+16175550123")]
    [InlineData("16175550123")]
    [InlineData("6175550123")]
    [InlineData("617-555-0123")]
    [InlineData("617.555.0123")]
    [InlineData("(617) 555-0123")]
    [InlineData("+1 (617) 555-0123")]
    [InlineData("1-617-555-0123")]
    [InlineData("%2B16175550123")]
    [InlineData("+447700900123")]
    public void EveryCommonShapeOfAPhoneNumberIsMasked(string phone)
    {
        var masked = LogMasking.MaskPhones($"texting {phone}, now");
        Assert.Equal($"texting {LogMasking.PhoneMask}, now", masked);
    }

    [Theory]
    [InlineData("0196d5a4-3c2e-7b1a-9f00-123456789012")]
    [InlineData("2026-12-02T05:20:44Z")]
    [InlineData("attempt 3 of 8 after 00:00:02")]
    [InlineData("took 1234 ms, 42 rows")]
    public void IdsDatesAndCountsAreLeftAlone(string text) => Assert.Same(text, LogMasking.MaskPhones(text));

    [Fact]
    public void AMistakeInTheCodeIsMaskedBeforeAnyProviderSeesIt()
    {
        var capture = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        using var masking = new MaskingLoggerFactory(factory);
        var logger = masking.CreateLogger("Probe");

#pragma warning disable CA1848, CA2254 // The mistake under test: a value and a body logged as they are.
        logger.LogWarning("Texting {To}: {Body}", "+16175550123", Body);
        logger.LogError(new InvalidOperationException("No contact for 617-555-0123"), "Lookup failed");
        logger.LogWarning("OpenPhone failed with {Status} {Code}", 400, "0101400");
#pragma warning restore CA1848, CA2254

        var entries = capture.Entries.ToList();
        Assert.Equal($"Texting {LogMasking.PhoneMask}: {LogMasking.BodyMask}", entries[0].Message);
        Assert.Contains(LogMasking.PhoneMask, entries[1].Exception!.ToString(), StringComparison.Ordinal);
        // Values are masked one by one: two neighbours are not one phone number.
        Assert.Equal("OpenPhone failed with 400 0101400", entries[2].Message);
        var all = string.Join("\n", entries.Select(e => $"{e.Message} {e.Exception}"));
        Assert.DoesNotContain("555-0123", all, StringComparison.Ordinal);
        Assert.DoesNotContain("5550123", all, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, all, StringComparison.Ordinal);
    }
}
