using System.Net;
using System.Net.Http.Json;
using Crm.Data.Audit;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Subscriptions;

/// <summary>graphql-transport-ws rules and close codes, each with a raw client (graphql-conventions.md §4.1).</summary>
public sealed class TransportWsProtocolTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string ConversationUpdatedQuery = "subscription { conversationUpdated { id unreadCount } }";

    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task InitWithAKeyInThePayloadIsAcknowledgedAndPingsAreAnsweredWithTheirPayload()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SendAsync(new { type = "ping", payload = new { n = 7 } });
        var pong = await ws.ReceiveAsync();

        Assert.Equal("pong", pong["type"]!.GetValue<string>());
        Assert.Equal(7, pong["payload"]!["n"]!.GetValue<int>());
        Assert.Equal("graphql-transport-ws", ws.Socket.SubProtocol);
    }

    [Fact]
    public async Task ABearerHeaderOnTheUpgradeAuthenticatesTheSocket()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory, bearer: AdminKey);

        await ws.SendAsync(new { type = "connection_init" });

        Assert.Equal("connection_ack", (await ws.ReceiveAsync())["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("http://localhost", true)]
    [InlineData("https://evil.example", false)]
    public async Task ASessionCookieAuthenticatesTheSocketOnlyFromTheSameOrigin(string origin, bool accepted)
    {
        const string password = "Correct-Horse-42";
        await Fixture.WithServiceAsync<UserOperations, CrmUser>(users => users.CreateAsync("dana@example.com", password, "Dana", CrmRole.Viewer, Actor.System));
        using var browser = Fixture.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") });
        using var login = await browser.PostAsJsonAsync("/auth/login", new { email = "dana@example.com", password });
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        var connecting = TransportWsClient.ConnectAsync(Fixture.Factory, configure: request =>
        {
            request.Headers.Cookie = cookie;
            request.Headers.Origin = origin;
        });

        if (!accepted)
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => connecting);
            Assert.Contains("403", refused.Message, StringComparison.Ordinal);
            return;
        }

        await using var ws = await connecting;
        await ws.SendAsync(new { type = "connection_init" });
        Assert.Equal("connection_ack", (await ws.ReceiveAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task APingBeforeInitIsAnswered()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory);

        await ws.SendAsync(new { type = "ping" });

        Assert.Equal("pong", (await ws.ReceiveAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task WithoutCredentialsInitIsRefusedWith4403()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory);

        await ws.SendAsync(new { type = "connection_init", payload = new { } });

        Assert.Equal(4403, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task AnUnknownOrRevokedKeyIsRefusedWith4403()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory);

        await ws.SendAsync(new { type = "connection_init", payload = new { authorization = "Bearer crm_not_a_real_key" } });

        Assert.Equal(4403, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task ASecondInitIsClosedWith4429()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SendAsync(new { type = "connection_init", payload = new { apiKey = AdminKey } });

        Assert.Equal(4429, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task SubscribeBeforeTheAckIsClosedWith4401()
    {
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory);

        await ws.SubscribeAsync("1", ConversationUpdatedQuery);

        Assert.Equal(4401, await ws.ReceiveCloseAsync());
    }

    [Theory]
    [InlineData("""{"type":"bogus"}""")]
    [InlineData("not json")]
    [InlineData("""{"type":"subscribe","payload":{"query":"{ me { email } }"}}""")]
    [InlineData("""{"type":"subscribe","id":"1","payload":{"variables":{}}}""")]
    [InlineData("""[1,2,3]""")]
    public async Task AMalformedOrUnknownMessageIsClosedWith4400(string message)
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SendRawAsync(message);

        Assert.Equal(4400, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task WithoutInitTheSocketIsClosedWith4408()
    {
        var settings = PostgresFixture.Settings();
        settings["Subscriptions:ConnectionInitTimeout"] = "00:00:00.500";
        await using var factory = new CrmApiFactory(settings);
        await using var ws = await TransportWsClient.ConnectAsync(factory);

        Assert.Equal(4408, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task AnOversizeFrameClosesTheSocketWith1009()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SendAsync(new { type = "ping", payload = new { pad = new string('x', 70 * 1024) } });

        Assert.Equal((int)System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task AThousandSubscribesWithOneIdAreClosedWith4409AndLeaveNoSubscriptionBehind()
    {
        var bus = (InProcessEventBus)Fixture.Factory.Services.GetRequiredService<IEventBus>();
        var before = bus.SubscriberCount(ConversationUpdated.TopicName);
        await using (var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey))
        {
            for (var i = 0; i < 1000; i++)
            {
                await ws.SubscribeAsync("same", ConversationUpdatedQuery);
            }

            Assert.Equal(4409, await ws.ReceiveCloseAsync());
        }

        await WaitUntilAsync(() => bus.SubscriberCount(ConversationUpdated.TopicName) == before);
    }

    [Fact]
    public async Task AnIdCanBeReusedAfterTheClientCompletesIt()
    {
        var bus = (InProcessEventBus)Fixture.Factory.Services.GetRequiredService<IEventBus>();
        var before = bus.SubscriberCount(ConversationUpdated.TopicName);
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SubscribeAsync("a", ConversationUpdatedQuery);
        await ws.SyncAsync();
        Assert.Equal(before + 1, bus.SubscriberCount(ConversationUpdated.TopicName));
        await ws.SendAsync(new { id = "a", type = "complete" });
        await ws.SubscribeAsync("a", ConversationUpdatedQuery);
        await ws.SyncAsync();

        await WaitUntilAsync(() => bus.SubscriberCount(ConversationUpdated.TopicName) == before + 1);
    }

    [Fact]
    public async Task MoreOperationsThanTheLimitGetAnErrorMessageAndTheSocketStaysOpen()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        for (var i = 0; i < 101; i++)
        {
            await ws.SubscribeAsync($"s{i}", ConversationUpdatedQuery);
        }

        var error = await ws.ReceiveAsync();
        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("s100", error["id"]!.GetValue<string>());
        Assert.Equal("TOO_MANY_SUBSCRIPTIONS", error["payload"]![0]!["extensions"]!["code"]!.GetValue<string>());
        await ws.SyncAsync();
    }

    [Fact]
    public async Task AnInvalidDocumentGetsAnErrorMessageWithoutComplete()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SubscribeAsync("1", "subscription { noSuchField }");
        var error = await ws.ReceiveAsync();
        await ws.SyncAsync(); // a complete would have arrived before the pong

        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("1", error["id"]!.GetValue<string>());
        Assert.Contains("noSuchField", error["payload"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFieldTheRoleMayNotUseGetsAnAccessErrorMessage()
    {
        var (_, viewerKey) = await Fixture.WithServiceAsync<ApiKeyOperations, (ApiKey, string)>(keys => keys.CreateAsync("viewer", CrmRole.Viewer, Actor.System));
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, viewerKey);

        await ws.SubscribeAsync("1", "mutation { markConversationRead(input: { id: \"x\" }) { errors { __typename } } }");
        var error = await ws.ReceiveAsync();

        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("AUTH_NOT_AUTHORIZED", error["payload"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task AQueryOverTheSocketIsOneNextThenComplete()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await ws.SubscribeAsync("q", "{ me { role } }");
        var next = await ws.ReceiveAsync();
        var complete = await ws.ReceiveAsync();

        Assert.Equal("next", next["type"]!.GetValue<string>());
        Assert.Equal("ADMIN", next["payload"]!["data"]!["me"]!["role"]!.GetValue<string>());
        Assert.Equal("complete", complete["type"]!.GetValue<string>());
        Assert.Equal("q", complete["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUpgradeWithoutTheSubprotocolIs400()
    {
        var client = Fixture.Factory.Server.CreateWebSocketClient();
        client.SubProtocols.Add("mqtt");

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(new Uri(Fixture.Factory.Server.BaseAddress, "graphql"), CancellationToken.None));

        Assert.Contains(((int)HttpStatusCode.BadRequest).ToString(System.Globalization.CultureInfo.InvariantCulture), failure.Message, StringComparison.Ordinal);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }
}
