using System.Net.WebSockets;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Subscriptions;

/// <summary>The socket's writer over a real connection (Kestrel, not the test host): a burst that queues up arrives whole, in order, the close frame last.</summary>
public sealed class RealSocketTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task OverKestrelABurstOfAnswersArrivesWholeAndInOrderAndTheCloseAfterThem()
    {
        await using var factory = new CrmApiFactory(PostgresFixture.Settings());
        factory.UseKestrel(0);
        factory.StartServer();
        string key;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            (_, key) = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().CreateAsync("burst", CrmRole.Viewer, Actor.System);
        }

        using var http = factory.CreateClient();
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        await socket.ConnectAsync(new UriBuilder(http.BaseAddress!) { Scheme = "ws", Path = "/graphql" }.Uri, CancellationToken.None);
        await using var ws = TransportWsClient.Over(socket);
        await ws.InitAsync(key);

        // Sent without reading, so the server's answers queue up behind each other; then a fault that closes.
        const int count = 500;
        for (var i = 0; i < count; i++)
        {
            await ws.SendAsync(new { type = "ping", payload = new { n = i, pad = new string('x', 200) } });
        }

        await ws.SendRawAsync("{\"type\":\"no such type\"}");

        for (var i = 0; i < count; i++)
        {
            var pong = await ws.ReceiveAsync();
            Assert.Equal("pong", pong["type"]?.GetValue<string>());
            Assert.Equal(i, pong["payload"]?["n"]?.GetValue<int>());
        }

        Assert.Equal(4400, await ws.ReceiveCloseAsync());
    }
}
