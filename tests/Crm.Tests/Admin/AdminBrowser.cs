using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Crm.Tests.Infrastructure;
using Crm.Tests.OpenPhone;
using Microsoft.Playwright;

namespace Crm.Tests.Admin;

/// <summary>
/// One server process on a PostgreSQL database of its own (the shared one is reset under other tests), texting through
/// a simulator whose signed webhooks come back over real HTTP, and one headless Debian chromium for every browser test.
/// Tests share the data, so each makes its own contacts and numbers and never counts rows it did not make.
/// </summary>
public sealed class AdminBrowser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    public const string AdminEmail = "owner@example.com";
    public const string AdminPassword = "Browser-Tests-Owner-42";
    private const string Database = "crm_admin_browser";

    // Without these, Chromium keeps dialling Google's hosts, which the closed network refuses (admin-page.md).
    private static readonly string[] ChromiumArgs =
        ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

    private static int _numbers;

    private SimulatorServer? _simulator;
    private ServerProcess? _server;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public Uri Address => _server!.Address;

    public ServerProcess Server => _server!;

    /// <summary>The business line the simulator knows, as (OpenPhone id, number).</summary>
    public (string Id, string Number) Line { get; private set; }

    /// <summary>Signed in as the admin through /auth/login: arranges data the way the page would see it made.</summary>
    public GraphQLClient Api { get; private set; } = null!;

    public WebhookSender Webhooks { get; private set; } = null!;

    /// <summary>Where screenshots go: the test output, never the repository.</summary>
    public static string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; scripts/test.sh installs it).");
        }

        Directory.CreateDirectory(Artifacts);
        var connection = await PostgresFixture.CreateDatabaseAsync(Database);
        var port = ServerProcess.FreePort();
        _simulator = await SimulatorServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenPhone:Simulator:WebhookUrl"] = $"http://127.0.0.1:{port}{WebhookSender.Path}",
            ["OpenPhone:Simulator:SigningKey"] = WebhookSender.LegacyKey,
            ["OpenPhone:Simulator:RequestsPerSecond"] = "100",
            ["OpenPhone:Simulator:DeliveryDelay"] = "00:00:01",
            ["OpenPhone:Simulator:ReplyRate"] = "0",
        });
        var line = _simulator.Account.Lines[0];
        Line = (line.Id, line.Number);

        var settings = PostgresFixture.Settings();
        settings["ConnectionStrings:Crm"] = connection;
        settings["OpenPhone:ApiKey"] = SimulatorServer.ApiKey;
        settings["OpenPhone:ApiBaseUrl"] = _simulator.BaseAddress.ToString();
        settings["OpenPhone:RequestsPerSecond"] = "100";
        settings["OpenPhone:Outbound:Workers"] = "1";
        // The contacts page's import wizard follows a real job to its end.
        settings["Imports:Workers"] = "1";
        settings["Crm:Admin:Email"] = AdminEmail;
        settings["Crm:Admin:Password"] = AdminPassword;
        _server = await ServerProcess.StartAsync(settings, port);

        Webhooks = new WebhookSender(new HttpClient { BaseAddress = Address });
        Api = await SignedInClientAsync(AdminEmail, AdminPassword);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ChromiumArgs });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Api?.Http.Dispose();
        Webhooks?.Http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }

    public async Task<GraphQLClient> SignedInClientAsync(string email, string password)
    {
        // The cookie is Secure outside development, and HttpClient keeps Secure cookies off plain http (a browser
        // sends them to loopback): carry it by hand.
        var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = Address };
        using var login = await http.PostAsJsonAsync("/auth/login", new { email, password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        http.DefaultRequestHeaders.Add("Cookie", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        return new GraphQLClient(http);
    }

    /// <summary>A US mobile number no other test uses.</summary>
    public static string NewPhone() =>
        string.Create(CultureInfo.InvariantCulture, $"+1617{Random.Shared.Next(200, 999)}{Interlocked.Increment(ref _numbers) % 10000:D4}");

    public async Task<string> CreateContactAsync(string firstName, string lastName, string phone, params string[] tags)
    {
        var data = await Api.DataAsync(
            "mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } errors { __typename ... on Error { message } } } }",
            new { input = new { firstName, lastName, phone, tags } });
        Assert.Null(data["createContact"]!["errors"]);
        return data["createContact"]!["contact"]!["id"]!.GetValue<string>();
    }

    /// <summary>A signed message.received from <paramref name="from"/> to the simulator's line, as OpenPhone posts it.</summary>
    public async Task TextInAsync(string from, string text)
    {
        var body = new JsonObject
        {
            ["id"] = "EV" + Guid.NewGuid().ToString("N"),
            ["object"] = "event",
            ["apiVersion"] = "v4",
            ["createdAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["type"] = "message.received",
            ["data"] = new JsonObject
            {
                ["object"] = new JsonObject
                {
                    ["id"] = "AC" + Guid.NewGuid().ToString("N"),
                    ["object"] = "message",
                    ["from"] = from,
                    ["to"] = new JsonArray(Line.Number),
                    ["direction"] = "incoming",
                    ["text"] = text,
                    ["status"] = "received",
                    ["createdAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                    ["phoneNumberId"] = Line.Id,
                },
            },
        }.ToJsonString();
        using var response = await Webhooks.PostLegacyAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The conversation of a contact's number, once its first text arrived.</summary>
    /// <remarks>The server processes a webhook after answering it, so the conversation may take a moment to appear.</remarks>
    public Task<JsonNode> ConversationOfAsync(string phone) => Eventually.GetAsync(
        async () =>
        {
            var data = await Api.DataAsync(
                "query($phone: String!) { conversations(first: 1, where: { contact: { phone: { eq: $phone } } }, includeSnoozed: true) { nodes { id status unread snoozedUntil } } }",
                new { phone });
            return data["conversations"]!["nodes"]!.AsArray().FirstOrDefault();
        },
        "the conversation of a text answered 200");
}

/// <summary>Alone, after the parallel collections: a busy second core would make the first-paint budget a coin toss.</summary>
[CollectionDefinition(nameof(AdminBrowserCollection), DisableParallelization = true)]
public sealed class AdminBrowserCollection : ICollectionFixture<AdminBrowser>;
