using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Crm.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Outbound;

/// <summary>The newcomer's first text: the embedded default, its demo data and its own simulator, watched live.</summary>
public sealed class EmbeddedTextingTests
{
    private static readonly string[] Lifecycle = ["QUEUED", "SENDING", "SENT", "DELIVERED"];

    [Fact]
    public async Task ATextToADemoConversationIsSeenLiveGoingFromQueuedToDelivered()
    {
        await using var host = new SqliteHost(new Dictionary<string, string?>
        {
            ["OpenPhone:Simulator:DeliveryDelay"] = "00:00:00.200",
            ["OpenPhone:Simulator:ReplyRate"] = "0",
        });
        host.Factory.UseKestrel(0);
        host.Factory.StartServer();
        string key;
        await using (var scope = host.Factory.Services.CreateAsyncScope())
        {
            (_, key) = await scope.ServiceProvider.GetRequiredService<ApiKeyOperations>().CreateAsync("newcomer", CrmRole.Admin, Actor.System);
        }

        using var http = host.Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var client = new GraphQLClient(http);
        var conversation = (await client.DataAsync("{ conversations(first: 1) { nodes { id } } }"))["conversations"]!["nodes"]![0]!["id"]!.GetValue<string>();
        using var stream = await http.SendAsync(
            SubscriptionEventTests.SseRequest($$"""subscription { activityUpdated(conversationId: "{{conversation}}") { id status } }""", key),
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());

        var sent = await client.DataAsync(
            "mutation($id: ID!) { sendMessage(input: { conversationId: $id, body: \"Hi! This is Attack-a-Crack: we can come Tuesday.\" }) { activity { id status } errors { __typename } } }",
            new { id = conversation });
        var seen = new List<string>();
        while (seen.LastOrDefault() != "DELIVERED")
        {
            var (name, data) = await SubscriptionEventTests.ReadEventAsync(reader);
            Assert.Equal("next", name);
            var activity = System.Text.Json.Nodes.JsonNode.Parse(data)!["data"]!["activityUpdated"]!;
            Assert.Equal(sent["sendMessage"]!["activity"]!["id"]!.GetValue<string>(), activity["id"]!.GetValue<string>());
            seen.Add(activity["status"]!.GetValue<string>());
        }

        Assert.Equal("QUEUED", sent["sendMessage"]!["activity"]!["status"]!.GetValue<string>());
        // Each event is read fresh, so a late one may already show a later status; never an earlier one.
        Assert.Equal(seen.OrderBy(s => Array.IndexOf(Lifecycle, s)), seen);
        Assert.True(seen.Count >= 3, string.Join(", ", seen));
    }
}
