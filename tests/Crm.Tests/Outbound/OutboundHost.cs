using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Audit;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Outbound;
using Crm.Data.PhoneNumbers;
using Crm.Data.Users;
using Crm.OpenPhoneSimulator;
using Crm.Tests.Infrastructure;
using Crm.Tests.OpenPhone;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Outbound;

/// <summary>
/// A server that texts through a simulator process of its own over real HTTP (with an API key, as in production), on the
/// shared PostgreSQL; the simulator's signed webhooks come back into it. Optionally on a fake clock.
/// </summary>
public sealed class OutboundHost : IAsyncDisposable
{
    private readonly bool _ownsSimulator;

    private OutboundHost(SimulatorServer simulator, bool ownsSimulator, CrmApiFactory root, WebApplicationFactory<Program> app)
    {
        Simulator = simulator;
        _ownsSimulator = ownsSimulator;
        Root = root;
        App = app;
    }

    public SimulatorServer Simulator { get; }

    /// <summary>What the host logged.</summary>
    public CrmApiFactory Root { get; }

    public WebApplicationFactory<Program> App { get; }

    public string LineId => Simulator.Account.Lines[0].Id;

    public static async Task<OutboundHost> StartAsync(
        int workers = 1,
        IReadOnlyDictionary<string, string?>? simulatorSettings = null,
        TimeProvider? clock = null,
        SimulatorServer? simulator = null,
        IReadOnlyDictionary<string, string?>? hostSettings = null)
    {
        WebApplicationFactory<Program>? app = null;
        var owned = simulator is null;
        var settings = new Dictionary<string, string?>
        {
            ["OpenPhone:Simulator:WebhookUrl"] = "http://localhost" + WebhookSender.Path,
            ["OpenPhone:Simulator:SigningKey"] = WebhookSender.LegacyKey,
            ["OpenPhone:Simulator:RequestsPerSecond"] = "100",
            // Delivery reports only when a test asks for them (DeliveryDelay 0).
            ["OpenPhone:Simulator:DeliveryDelay"] = "01:00:00",
        };
        foreach (var (key, value) in simulatorSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        simulator ??= await SimulatorServer.StartAsync(settings, webhookHandler: () => app!.Server.CreateHandler());
        var settingsOfHost = PostgresFixture.Settings();
        settingsOfHost["OpenPhone:ApiKey"] = SimulatorServer.ApiKey;
        settingsOfHost["OpenPhone:ApiBaseUrl"] = simulator.BaseAddress.ToString();
        settingsOfHost["OpenPhone:RequestsPerSecond"] = "100";
        settingsOfHost["OpenPhone:Outbound:Workers"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settingsOfHost["OpenPhone:Resilience:Retry:Delay"] = "00:00:00.010";
        foreach (var (key, value) in hostSettings ?? new Dictionary<string, string?>())
        {
            settingsOfHost[key] = value;
        }

        var root = new CrmApiFactory(settingsOfHost);
        app = clock is null ? root : root.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(clock)));
        _ = app.Server;
        return new OutboundHost(simulator, owned, root, app);
    }

    /// <summary>Another instance on the same database and simulator.</summary>
    public Task<OutboundHost> SecondInstanceAsync(int workers) => StartAsync(workers, simulator: Simulator);

    public async Task<GraphQLClient> ClientAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var (_, key) = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().CreateAsync("outbound test", CrmRole.Admin, Actor.System);
        var http = App.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return new GraphQLClient(http);
    }

    /// <summary>The simulator's line in the CRM, and <paramref name="count"/> contacts with a conversation on it each.</summary>
    public async Task<(PhoneNumber Line, List<Conversation> Conversations)> ArrangeAsync(int count = 1)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var line = await db.PhoneNumbers.FirstOrDefaultAsync(p => p.OpenPhoneId == LineId);
        if (line is null)
        {
            line = new PhoneNumber { OpenPhoneId = LineId, Number = Simulator.Account.Lines[0].Number, Name = "Main" };
            db.PhoneNumbers.Add(line);
        }

        var now = DateTimeOffset.UtcNow;
        var conversations = new List<Conversation>();
        for (var i = 0; i < count; i++)
        {
            var contact = new Contact { FirstName = $"Customer{i}", Phone = $"+1617555{1000 + i:D4}", CreatedAt = now, UpdatedAt = now };
            var conversation = new Conversation { ContactId = contact.Id, PhoneNumberId = line.Id, CreatedAt = now, LastActivityAt = now };
            db.Contacts.Add(contact);
            db.Conversations.Add(conversation);
            conversations.Add(conversation);
        }

        await db.SaveChangesAsync();
        return (line, conversations);
    }

    public async Task<T> QueryAsync<T>(Func<CrmDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CrmDbContext>());
    }

    public Task<Activity> ActivityAsync(Guid id) => QueryAsync(db => db.Activities.AsNoTracking().SingleAsync(a => a.Id == id));

    public Task<OutboundMessage> OutboxAsync(Guid id) => QueryAsync(db => db.OutboundMessages.AsNoTracking().SingleAsync(o => o.ActivityId == id));

    /// <summary>Polls until the text reaches <paramref name="status"/>: sends take real HTTP round trips, not clock time.</summary>
    public async Task<Activity> WaitForAsync(Guid id, MessageStatus status)
    {
        for (var i = 0; i < 300; i++)
        {
            var activity = await ActivityAsync(id);
            if (activity.OutboundStatus == status)
            {
                return activity;
            }

            await Task.Delay(50);
        }

        var last = await ActivityAsync(id);
        var problems = Root.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => $"{e.Category}: {e.Message} {e.Exception}");
        Assert.Fail($"The text is {last.OutboundStatus}, not {status}, after 15 s; failure: {last.FailureReason}\n{string.Join("\n", problems)}");
        return last;
    }

    /// <summary>What the simulator holds as sent to the arranged contact number <paramref name="index"/>.</summary>
    public IReadOnlyList<SimMessage> SentTo(int index) =>
        [.. Simulator.Account.Messages(Simulator.Account.Lines[0], $"+1617555{1000 + index:D4}", null, null).Where(m => m.Direction == "outgoing")];

    public long Requests(string endpoint) => Simulator.Traffic.Stats().Requests.GetValueOrDefault(endpoint);

    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(App, Root))
        {
            await App.DisposeAsync();
        }

        await Root.DisposeAsync();
        if (_ownsSimulator)
        {
            await Simulator.DisposeAsync();
        }
    }
}
