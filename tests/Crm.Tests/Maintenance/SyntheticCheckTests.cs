using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Crm.Data.Monitoring;
using Crm.Jobs.Maintenance;
using Crm.Tests.Infrastructure;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Crm.Tests.Maintenance;

/// <summary>
/// The synthetic webhook check through the simulator over real HTTP: its text from the main line to the test line comes
/// back as that line's webhook, or is late; a fake clock decides lateness, the health detail and the tick.
/// </summary>
public sealed class SyntheticCheckTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string TestLine = "+16175550100";

    private static readonly DateTimeOffset Now = new(2027, 3, 2, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TheTestLinesWebhookComesBackStaysOutOfTheInboxAndReadinessIsHealthy()
    {
        // Today: the simulator signs its webhooks on the real clock, and the receiver refuses stale signatures.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(clock, deliveryDelay: "00:00:00");
        using var outcomes = new Outcomes();

        var check = await RunAsync(host, clock.GetUtcNow());
        var arrived = await WaitForAsync(host, check!.Id, SyntheticCheckStatus.Arrived);
        clock.Advance(TimeSpan.FromMinutes(6));
        var health = await ReadyAsync(host);

        Assert.Equal(SyntheticChecks.Body(check.Id), Assert.Single(ToTestLine(host)).Text);
        Assert.NotNull(arrived.ArrivedAt);
        Assert.Equal(0, await host.QueryAsync(db => db.Activities.CountAsync()));
        Assert.Equal(0, await host.QueryAsync(db => db.Contacts.CountAsync()));
        Assert.Equal("Healthy", health["webhook-delivery"]!["status"]!.GetValue<string>());
        Assert.Equal(1, outcomes["arrived"]);
    }

    [Fact]
    public async Task AWebhookThatNeverComesIsLateOnceAndDegradesReadinessWithoutFailingIt()
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = await StartAsync(clock, deliveryDelay: "01:00:00");
        using var outcomes = new Outcomes();

        var check = await RunAsync(host, Now);
        Assert.Equal(SyntheticCheckStatus.Sent, (await CheckAsync(host, check!.Id)).Status);
        var early = await ReadyAsync(host);
        clock.Advance(TimeSpan.FromMinutes(6));
        // The same 30-minute tick: no second text, and the first one is now late, counted once across two runs.
        Assert.Null(await RunAsync(host, clock.GetUtcNow()));
        Assert.Null(await RunAsync(host, clock.GetUtcNow().AddSeconds(30)));
        var late = await ReadyAsync(host);

        Assert.Equal("Healthy", early["webhook-delivery"]!["status"]!.GetValue<string>());
        Assert.Equal(SyntheticCheckStatus.Late, (await CheckAsync(host, check.Id)).Status);
        Assert.Equal("Degraded", late["webhook-delivery"]!["status"]!.GetValue<string>());
        Assert.Equal(1, outcomes["late"]);
        Assert.Single(ToTestLine(host));
    }

    [Fact]
    public async Task ATextOpenPhoneRefusesIsSendFailedWithItsStatusAndReadinessDegrades()
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = await StartAsync(clock, deliveryDelay: "00:00:00", from: "PNnotaline");
        using var outcomes = new Outcomes();

        var check = await RunAsync(host, Now);
        clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal((SyntheticCheckStatus.SendFailed, "400 0200400"), (check!.Status, check.Error));
        Assert.Equal("Degraded", (await ReadyAsync(host))["webhook-delivery"]!["status"]!.GetValue<string>());
        Assert.Equal(1, outcomes["send_failed"]);
    }

    [Fact]
    public async Task TwoInstancesTryingTheSameTickAtOnceTextTheTestLineOnce()
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = await StartAsync(clock, deliveryDelay: "01:00:00");
        await using var second = await OutboundHost.StartAsync(workers: 0, simulator: host.Simulator, clock: clock, hostSettings: Settings(host.Simulator.Account.Lines[0].Id));

        var tries = Enumerable.Range(0, 10).Select(i => RunAsync(i % 2 == 0 ? host : second, Now.AddSeconds(i)));
        var results = await Task.WhenAll(tries);

        Assert.Single(results, r => r is not null);
        Assert.Single(ToTestLine(host));
        Assert.Equal(1, await host.QueryAsync(db => db.SyntheticChecks.CountAsync()));
    }

    private static Task<OutboundHost> StartAsync(TimeProvider clock, string deliveryDelay, string? from = null) =>
        OutboundHost.StartAsync(
            workers: 0,
            clock: clock,
            simulatorSettings: new Dictionary<string, string?> { ["OpenPhone:Simulator:Seed:Lines"] = "2", ["OpenPhone:Simulator:DeliveryDelay"] = deliveryDelay },
            hostSettings: Settings(from ?? "PNsim00000"));

    private static Dictionary<string, string?> Settings(string from) => new()
    {
        ["SyntheticCheck:From"] = from,
        ["SyntheticCheck:To"] = TestLine,
        ["SyntheticCheck:Every"] = "00:30:00",
        ["SyntheticCheck:Within"] = "00:05:00",
    };

    private static async Task<SyntheticCheck?> RunAsync(OutboundHost host, DateTimeOffset now)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SyntheticWebhookCheckJob>().RunAsync(now, CancellationToken.None);
    }

    private static IEnumerable<Crm.OpenPhoneSimulator.SimMessage> ToTestLine(OutboundHost host) =>
        host.Simulator.Account.Outgoing().Where(m => m.To[0] == TestLine);

    private static Task<SyntheticCheck> CheckAsync(OutboundHost host, Guid id) =>
        host.QueryAsync(db => db.SyntheticChecks.AsNoTracking().SingleAsync(c => c.Id == id));

    /// <summary>Polls: the webhook takes a real HTTP round trip through the simulator, not clock time.</summary>
    private static async Task<SyntheticCheck> WaitForAsync(OutboundHost host, Guid id, SyntheticCheckStatus status)
    {
        for (var i = 0; i < 300; i++)
        {
            var check = await CheckAsync(host, id);
            if (check.Status == status)
            {
                return check;
            }

            await Task.Delay(50);
        }

        var last = await CheckAsync(host, id);
        Assert.Fail($"The check is {last.Status}, not {status}, after 15 s.");
        return last;
    }

    private static async Task<JsonNode> ReadyAsync(OutboundHost host)
    {
        using var http = host.App.CreateClient();
        using var response = await http.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["checks"]!;
    }

    /// <summary>The <c>crm.synthetic.checks</c> counter, by outcome, while the test runs.</summary>
    private sealed class Outcomes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _counts = [];

        public Outcomes()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "crm.synthetic.checks")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "outcome")
                    {
                        lock (_counts)
                        {
                            _counts[(string)tag.Value!] = _counts.GetValueOrDefault((string)tag.Value!) + value;
                        }
                    }
                }
            });
            _listener.Start();
        }

        public long this[string outcome]
        {
            get
            {
                lock (_counts)
                {
                    return _counts.GetValueOrDefault(outcome);
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
