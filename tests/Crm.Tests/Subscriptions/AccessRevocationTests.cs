using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Subscriptions;

/// <summary>A revoked key or a changed user loses its open sockets and event streams at once, not only its next request.</summary>
public sealed class AccessRevocationTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task RevokingAKeyClosesItsSocketsInBothProtocolsWithin1SecondAndLeavesOtherKeysAlone()
    {
        var (key, secret) = await Fixture.WithServiceAsync<ApiKeyOperations, (ApiKey, string)>(keys => keys.CreateAsync("integrator", CrmRole.Viewer, Actor.System));
        await using var current = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, secret);
        await current.SubscribeAsync("c", "subscription { conversationUpdated { id } }");
        await current.SyncAsync();
        await using var legacy = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, secret, "graphql-ws");
        await using var other = await TransportWsClient.ConnectAndInitAsync(Fixture.Factory, AdminKey);

        await RevokeAsync(key);
        var clock = Stopwatch.StartNew();

        Assert.Equal(4403, await current.ReceiveCloseAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"closed after {clock.Elapsed}");
        Assert.Equal("""{"type":"connection_error","payload":{"message":"Forbidden"}}""", GraphQLClient.Compact(await legacy.ReceiveAsync()));
        Assert.Equal(4403, await legacy.ReceiveCloseAsync());
        await other.SyncAsync();
    }

    [Fact]
    public async Task RevokingAKeyEndsItsEventStreamWithAnErrorThenComplete()
    {
        var (key, secret) = await Fixture.WithServiceAsync<ApiKeyOperations, (ApiKey, string)>(keys => keys.CreateAsync("integrator", CrmRole.Viewer, Actor.System));
        using var http = Fixture.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(GraphQLClient.Serialize(new { query = "subscription { conversationUpdated { id } }" }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        await RevokeAsync(key);
        var next = await SubscriptionEventTests.ReadEventAsync(reader);
        var complete = await SubscriptionEventTests.ReadEventAsync(reader);

        Assert.Equal("next", next.Name);
        Assert.Equal("AUTH_REVOKED", JsonNode.Parse(next.Data)!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Equal("complete", complete.Name);
    }

    [Fact]
    public async Task DeactivatingAUserClosesTheirCookieSocketWith4403()
    {
        const string password = "Correct-Horse-42";
        var user = await Fixture.WithServiceAsync<UserOperations, CrmUser>(users => users.CreateAsync("dana@example.com", password, "Dana", CrmRole.Viewer, Actor.System));
        using var browser = Fixture.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") });
        using var login = await browser.PostAsJsonAsync("/auth/login", new { email = "dana@example.com", password });
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        await using var ws = await TransportWsClient.ConnectAsync(Fixture.Factory, configure: request =>
        {
            request.Headers.Cookie = cookie;
            request.Headers.Origin = "http://localhost";
        });
        await ws.SendAsync(new { type = "connection_init" });
        Assert.Equal("connection_ack", (await ws.ReceiveAsync())["type"]!.GetValue<string>());

        await Client.DataAsync("mutation($id: ID!) { updateUser(input: { id: $id, isActive: false }) { errors { __typename } } }", new { id = NodeId.Encode("User", user.Id) });

        Assert.Equal(4403, await ws.ReceiveCloseAsync());
    }

    internal static async Task RevokeAsync(GraphQLClient admin, ApiKey key) =>
        await admin.DataAsync("mutation($id: ID!) { revokeApiKey(input: { id: $id }) { errors { __typename } } }", new { id = NodeId.Encode("ApiKey", key.Id) });

    private Task RevokeAsync(ApiKey key) => RevokeAsync(Client, key);
}
