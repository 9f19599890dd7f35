using System.Net.WebSockets;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Server.WebSockets;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Subscriptions;

/// <summary>
/// What queued while a socket was busy goes out in one write (<see cref="CoalescingStream"/>): over a real connection
/// every message still arrives whole and in order, the close frame last; and frames held are sent only together.
/// </summary>
public sealed class CoalescedSendTests(PostgresFixture fixture) : PostgresTest(fixture)
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
        await ws.SendAsync(new { type = "connection_init", payload = new { apiKey = key } });
        Assert.Equal("connection_ack", (await ws.ReceiveAsync())["type"]?.GetValue<string>());

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

    [Fact]
    public async Task HeldFramesAreWrittenTogetherOnReleaseAndUnheldOnesAtOnce()
    {
        var inner = new RecordingStream();
        await using var stream = new CoalescingStream(inner);

        await stream.WriteAsync("a"u8.ToArray());
        Assert.Equal(["a"], inner.Writes);

        stream.Hold();
        await stream.WriteAsync("b"u8.ToArray());
        await stream.WriteAsync("c"u8.ToArray());
        Assert.Equal(["a"], inner.Writes);

        await stream.ReleaseAsync(CancellationToken.None);
        Assert.Equal(["a", "bc"], inner.Writes);
        await stream.WriteAsync("d"u8.ToArray());
        Assert.Equal(["a", "bc", "d"], inner.Writes);
        Assert.False(inner.Unflushed);
    }

    [Fact]
    public async Task AHoldWritesWhatItKeptBeforeItWouldOutgrowItsBufferAndPassesALargerFrameThrough()
    {
        var inner = new RecordingStream();
        await using var stream = new CoalescingStream(inner);
        var half = new string('h', CoalescingStream.BufferBytes / 2);
        var large = new string('L', CoalescingStream.BufferBytes * 2);

        stream.Hold();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(half));
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(half));
        await stream.WriteAsync("x"u8.ToArray());
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(large));
        await stream.ReleaseAsync(CancellationToken.None);

        Assert.Equal([half + half, "x", large], inner.Writes);
        Assert.False(inner.Unflushed);
    }

    /// <summary>Each write's bytes as text; a flush is checked to follow every write, as the transport needs it.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public List<string> Writes { get; } = [];

        public bool Unflushed { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Assert.False(Unflushed, "a write before the previous one was flushed");
            Writes.Add(System.Text.Encoding.ASCII.GetString(buffer.Span));
            Unflushed = true;
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Unflushed = false;
            return Task.CompletedTask;
        }
    }
}
