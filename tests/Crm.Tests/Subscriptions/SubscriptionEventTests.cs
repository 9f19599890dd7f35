using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Subscriptions;

/// <summary>Events caused by webhooks and mutations reach subscribers over WebSocket and SSE, with fresh entities.</summary>
public sealed class SubscriptionEventTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task ASignedWebhookReachesAMessageReceivedSubscriber()
    {
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await ws.SubscribeAsync("m", "subscription { messageReceived { body direction contact { phone } } }");
        await ws.SyncAsync();

        using var delivered = await new WebhookSender(Fixture.Factory).PostLegacyAsync(WebhookSender.Sample("message.received.json"));
        var next = await ws.ReceiveAsync();

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        Assert.Equal("next", next["type"]!.GetValue<string>());
        Assert.Equal("m", next["id"]!.GetValue<string>());
        Assert.Equal("""{"messageReceived":{"body":"Hello, world!","direction":"INCOMING","contact":{"phone":"+19876543210"}}}""", GraphQLClient.Compact(next["payload"]!["data"]));
    }

    [Fact]
    public async Task AnInboxMutationReachesAConversationUpdatedSubscriberFilteredById()
    {
        var (conversationId, otherId) = await ArrangeTwoConversationsAsync(Fixture);
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await ws.SubscribeAsync("c", "subscription($id: ID) { conversationUpdated(id: $id) { id unreadCount status } }", new { id = conversationId });
        await ws.SyncAsync();

        await Client.DataAsync("mutation($id: ID!) { markConversationUnread(input: { id: $id }) { errors { __typename } } }", new { id = otherId });
        await Client.DataAsync("mutation($id: ID!) { setConversationStatus(input: { id: $id, status: DONE }) { errors { __typename } } }", new { id = conversationId });
        var next = await ws.ReceiveAsync();

        Assert.Equal(conversationId, next["payload"]!["data"]!["conversationUpdated"]!["id"]!.GetValue<string>());
        Assert.Equal("DONE", next["payload"]!["data"]!["conversationUpdated"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task AfterTheClientCompletesASubscriptionNoMoreEventsArrive()
    {
        var (conversationId, _) = await ArrangeTwoConversationsAsync(Fixture);
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await ws.SubscribeAsync("c", "subscription { conversationUpdated { id } }");
        await ws.SyncAsync();
        await ws.SendAsync(new { id = "c", type = "complete" });
        await ws.SyncAsync();

        await Client.DataAsync("mutation($id: ID!) { markConversationRead(input: { id: $id }) { errors { __typename } } }", new { id = conversationId });
        await ws.SendAsync(new { type = "ping", payload = new { after = true } });

        // Events are enqueued before the mutation answers, so a stray next would precede this pong.
        Assert.Equal("pong", (await ws.ReceiveAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnIncomingRingingCallReachesAnIncomingCallSubscriberWithTheMatchedContact()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(TestData.Contact(7, "Dana", "Whitfield"));
            return Task.CompletedTask;
        });
        await using var ws = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);
        await ws.SubscribeAsync("call", "subscription { incomingCall { from callId contact { firstName } phoneNumber { number } } }");
        await ws.SyncAsync();
        var ringing = WebhookSender.Sample("call.ringing.json")
            .Replace("\"outgoing\"", "\"incoming\"", StringComparison.Ordinal)
            .Replace("+15555555555", "+16175550007", StringComparison.Ordinal);

        using var delivered = await new WebhookSender(Fixture.Factory).PostLegacyAsync(ringing);
        var next = await ws.ReceiveAsync();

        Assert.Equal("""{"incomingCall":{"from":"+16175550007","callId":"ACsXlF0","contact":{"firstName":"Dana"},"phoneNumber":null}}""", GraphQLClient.Compact(next["payload"]!["data"]));
    }

    [Fact]
    public async Task ASubscriptionOutlivesTheExecutionTimeout()
    {
        var (conversationId, _) = await ArrangeTwoConversationsAsync(Fixture);
        var settings = PostgresFixture.Settings();
        settings["GraphQL:Timeout"] = "00:00:01";
        await using var host = new CrmApiFactory(settings);
        await using var ws = await TransportWsClient.ConnectAndInitAsync(host, AdminKey);
        await ws.SubscribeAsync("c", "subscription { conversationUpdated { id contact { firstName } } }");
        await ws.SyncAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));

        await new GraphQLClient(Authorized(host.CreateClient())).DataAsync("mutation($id: ID!) { markConversationRead(input: { id: $id }) { errors { __typename } } }", new { id = conversationId });
        var next = await ws.ReceiveAsync();

        Assert.Equal("""{"conversationUpdated":{"id":"%ID%","contact":{"firstName":"First001"}}}""".Replace("%ID%", conversationId, StringComparison.Ordinal), GraphQLClient.Compact(next["payload"]!["data"]));
    }

    [Fact]
    public async Task AnEventStreamOverGetWorksForBearerKeys()
    {
        using var http = Fixture.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("{ me { role } }"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        Assert.Equal("next", (await ReadEventAsync(reader)).Name);
        Assert.Equal("complete", (await ReadEventAsync(reader)).Name);
    }

    private HttpClient Authorized(HttpClient http)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    [Fact]
    public async Task AnEventStreamReceivesAWebhookEventAndClosesWhenTheClientLeaves()
    {
        using var http = Fixture.Factory.CreateClient();
        using var request = SseRequest("subscription { messageReceived { body } }", AdminKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        using var delivered = await new WebhookSender(Fixture.Factory).PostLegacyAsync(WebhookSender.Sample("message.received.json"));
        var (name, data) = await ReadEventAsync(reader);

        Assert.Equal("next", name);
        Assert.Equal("""{"data":{"messageReceived":{"body":"Hello, world!"}}}""", GraphQLClient.Compact(JsonNode.Parse(data)));
    }

    [Fact]
    public async Task AQueryOverAnEventStreamIsOneNextThenComplete()
    {
        using var http = Fixture.Factory.CreateClient();
        using var request = SseRequest("{ me { role } }", AdminKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var next = await ReadEventAsync(reader);
        var complete = await ReadEventAsync(reader);

        Assert.Equal(("next", """{"data":{"me":{"role":"ADMIN"}}}"""), (next.Name, GraphQLClient.Compact(JsonNode.Parse(next.Data))));
        Assert.Equal(("complete", string.Empty), complete);
    }

    [Fact]
    public async Task AnInvalidSubscriptionOverAnEventStreamIsANextWithErrorsThenComplete()
    {
        using var http = Fixture.Factory.CreateClient();
        using var request = SseRequest("subscription { noSuchField }", AdminKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var next = await ReadEventAsync(reader);
        var complete = await ReadEventAsync(reader);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("next", next.Name);
        Assert.NotNull(JsonNode.Parse(next.Data)!["errors"]);
        Assert.Equal("complete", complete.Name);
    }

    [Fact]
    public async Task AnAnonymousEventStreamIs401()
    {
        using var http = Fixture.Factory.CreateClient();
        using var request = SseRequest("subscription { messageReceived { body } }", bearer: null);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ASubscriptionOverPlainPostIsA400NamingTheTransports()
    {
        var response = await Client.PostAsync("subscription { messageReceived { body } }");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("SUBSCRIPTION_TRANSPORT_REQUIRED", response.ErrorCode);
    }

    /// <summary>Two conversations on one line, for subscriptions that must tell them apart; their node ids.</summary>
    internal static async Task<(string Id, string OtherId)> ArrangeTwoConversationsAsync(PostgresFixture fixture)
    {
        var line = TestData.Line();
        var (alice, bob) = (TestData.Contact(1), TestData.Contact(2));
        var (first, second) = (TestData.Conversation(alice, line, TestData.Epoch), TestData.Conversation(bob, line, TestData.Epoch));
        await fixture.ArrangeAsync(db =>
        {
            db.AddRange(line, alice, bob, first, second);
            return Task.CompletedTask;
        });
        return (Crm.GraphQL.Server.Conventions.NodeId.Encode("Conversation", first.Id), Crm.GraphQL.Server.Conventions.NodeId.Encode("Conversation", second.Id));
    }

    internal static HttpRequestMessage SseRequest(string query, string? bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(GraphQLClient.Serialize(new { query }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    /// <summary>The next event, skipping keep-alive comments.</summary>
    internal static async Task<(string Name, string Data)> ReadEventAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        string? name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null)
                {
                    return (name, data.ToString());
                }

                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line["data:".Length..].TrimStart());
            }
        }

        throw new EndOfStreamException("The event stream ended.");
    }
}
