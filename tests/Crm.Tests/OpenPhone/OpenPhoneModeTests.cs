using System.Net;
using Crm.GraphQL.OpenPhone;
using Crm.Jobs.OpenPhone;
using Crm.OpenPhoneSimulator;
using Crm.Tests.Infrastructure;
using Crm.Tests.Subscriptions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Tests.OpenPhone;

/// <summary>Which OpenPhone the server uses, and the simulator's webhooks reaching the receiver.</summary>
public sealed class OpenPhoneModeTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task TheEmbeddedDefaultSendsThroughItsOwnSimulatorAndReceivesTheDeliveredWebhook()
    {
        await using var host = new SqliteHost(new Dictionary<string, string?>
        {
            ["OpenPhone:Simulator:DeliveryDelay"] = "00:00:00",
            ["OpenPhone:Simulator:ReplyRate"] = "0",
        });
        host.Factory.UseKestrel(0);
        host.Factory.StartServer();
        await using var scope = host.Factory.Services.CreateAsyncScope();
        var client = scope.ServiceProvider.GetRequiredService<OpenPhoneClient>();
        var traffic = scope.ServiceProvider.GetRequiredService<SimulatorTraffic>();
        var phone = await scope.ServiceProvider.GetRequiredService<Crm.Data.CrmDbContext>().Contacts.Where(c => c.Phone != null).Select(c => c.Phone!).FirstAsync();

        var lines = await client.ListPhoneNumbersAsync(CancellationToken.None);
        var sent = await client.SendMessageAsync(new OpenPhoneSendMessage("Hello from the demo", "PNdemoMain01", [phone]), CancellationToken.None);
        await TransportWsProtocolTests.WaitUntilAsync(() => traffic.Stats().WebhooksPosted + traffic.Stats().WebhooksFailed > 0);

        Assert.Equal(["PNdemoMain01", "PNdemoSales2"], lines.Value!.Data.Select(l => l.Id).Order(StringComparer.Ordinal));
        Assert.True(sent.Succeeded, sent.Error?.Message);
        Assert.Equal(1, traffic.Stats().WebhooksPosted);
        var delivered = await scope.ServiceProvider.GetRequiredService<Crm.Data.CrmDbContext>().WebhookEvents.SingleAsync(e => e.Type == "message.delivered");
        Assert.Contains(sent.Value.Id, delivered.Body, StringComparison.Ordinal);
        var logs = host.Factory.Logs.Entries.Select(e => e.Message).ToList();
        Assert.Contains(logs, m => m.StartsWith("OpenPhone: simulator at http://127.0.0.1:", StringComparison.Ordinal) && m.Contains("/_openphone", StringComparison.Ordinal));
        var simulator = scope.ServiceProvider.GetRequiredService<EmbeddedSimulator>();
        Assert.All(logs, m => Assert.DoesNotContain(simulator.ApiKey, m, StringComparison.Ordinal));
        Assert.All(logs, m => Assert.DoesNotContain(simulator.SigningKey, m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithAnApiKeyTheSimulatorIsNeverServedAndTheKeyIsNeverLogged()
    {
        const string key = "op-live-key-that-must-never-be-logged-42";
        var settings = PostgresFixture.Settings();
        settings["OpenPhone:ApiKey"] = key;
        await using var factory = new CrmApiFactory(settings);
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", key);

        using var simulator = await http.GetAsync(new Uri("/_openphone/v1/phone-numbers", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, simulator.StatusCode);
        Assert.Null(factory.Services.GetService<EmbeddedSimulator>());
        Assert.Equal(new Uri("https://api.openphone.com/"), factory.Services.GetRequiredService<IOpenPhoneEndpoint>().BaseAddress);
        var logs = factory.Logs.Entries.Select(e => e.Message).ToList();
        Assert.Contains("OpenPhone: api.openphone.com", logs);
        Assert.All(logs, m => Assert.DoesNotContain(key, m, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AProductionDeploymentOnPostgresWithoutAKeyNeverSimulatesAndSaysSo()
    {
        await using var factory = new CrmApiFactory(PostgresFixture.Settings());
        await using var production = factory.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        using var http = production.CreateClient();

        using var simulator = await http.GetAsync(new Uri("/_openphone/v1/phone-numbers", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, simulator.StatusCode);
        Assert.Null(production.Services.GetService<EmbeddedSimulator>());
        Assert.Contains(factory.Logs.Entries, e => e.Message.Contains("OpenPhone:ApiKey is not set", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASignedDeliveredWebhookFromTheSimulatorIsAcceptedAndStoredAfterTheDelay()
    {
        var delay = TimeSpan.FromMinutes(2);
        // The clock starts one delay back, so the signed timestamp is "now" for the receiver once it has moved on.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow - delay);
        await using var simulator = await SimulatorServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["OpenPhone:Simulator:WebhookUrl"] = "http://localhost" + WebhookSender.Path,
                ["OpenPhone:Simulator:SigningKey"] = WebhookSender.LegacyKey,
                ["OpenPhone:Simulator:DeliveryDelay"] = "00:02:00",
            },
            clock,
            () => Fixture.Factory.Server.CreateHandler());
        using var host = simulator.Client();

        var sent = await host.Client.SendMessageAsync(new OpenPhoneSendMessage("See you Tuesday", simulator.Account.Lines[0].Id, ["+16175550123"]), CancellationToken.None);
        await Task.Delay(100);
        var before = simulator.Traffic.Stats().WebhooksPosted;
        clock.Advance(delay);
        await TransportWsProtocolTests.WaitUntilAsync(() => simulator.Traffic.Stats().WebhooksPosted + simulator.Traffic.Stats().WebhooksFailed > 0);

        Assert.Equal((0, 1, 0), (before, simulator.Traffic.Stats().WebhooksPosted, simulator.Traffic.Stats().WebhooksFailed));
        var stored = await Fixture.QueryAsync(db => db.WebhookEvents.SingleAsync());
        Assert.Equal("message.delivered", stored.Type);
        Assert.Contains(sent.Value!.Id, stored.Body, StringComparison.Ordinal);
    }
}
