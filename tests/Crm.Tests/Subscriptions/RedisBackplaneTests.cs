using System.Diagnostics;
using System.Net;
using Crm.Data.Audit;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.GraphQL.Events;
using Crm.Tests.Infrastructure;
using Crm.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Crm.Tests.Subscriptions;

/// <summary>Two instances sharing PostgreSQL and the Redis that scripts/test.sh starts, and Redis going away.</summary>
public sealed class RedisBackplaneTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static string Redis => Environment.GetEnvironmentVariable("CRM_TEST_REDIS")
        ?? throw new InvalidOperationException("CRM_TEST_REDIS is not set: run the tests with scripts/test.sh, which starts Redis.");

    private static string RedisPort => Environment.GetEnvironmentVariable("CRM_TEST_REDIS_PORT") ?? Redis.Split(':')[1];

    private string AdminKey => Client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    [Fact]
    public async Task AWebhookIntoInstanceAReachesASubscriberOnInstanceB()
    {
        await using var a = new CrmApiFactory(WithRedis());
        await using var b = new CrmApiFactory(WithRedis());
        await using var ws = await TransportWsClient.ConnectAndInitAsync(b, AdminKey);
        // Redis stalls for a moment (as a busy or distant one would), so B's SUBSCRIBE is confirmed late.
        var stall = RedisCliAsync("DEBUG", "SLEEP", "1.5");
        await Task.Delay(500);
        await ws.SubscribeAsync("m", "subscription { messageReceived { body } }");
        await ws.SyncAsync();
        // No waiting: a subscribe counts as handled (the later ping answered) only once Redis confirms it, so a
        // webhook sent now on another instance cannot slip past.
        Assert.True(b.Services.GetRequiredService<RedisEventBus>().IsListening(MessageReceived.TopicName));
        Assert.Equal("OK", (await stall).Trim());

        using var delivered = await new WebhookSender(a).PostLegacyAsync(WebhookSender.Sample("message.received.json"));
        var next = await ws.ReceiveAsync();

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        Assert.Equal("Hello, world!", next["payload"]!["data"]!["messageReceived"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task AKeyRevokedOnInstanceAClosesItsSocketOnInstanceB()
    {
        var (key, secret) = await Fixture.WithServiceAsync<ApiKeyOperations, (ApiKey, string)>(keys => keys.CreateAsync("integrator", CrmRole.Viewer, Actor.System));
        await using var a = new CrmApiFactory(WithRedis());
        await using var b = new CrmApiFactory(WithRedis());
        await using var ws = await TransportWsClient.ConnectAndInitAsync(b, secret);
        var busB = b.Services.GetRequiredService<RedisEventBus>();
        await TransportWsProtocolTests.WaitUntilAsync(() => busB.IsListening(AccessChanged.TopicName));
        using var adminOnA = a.CreateClient();
        adminOnA.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);

        await AccessRevocationTests.RevokeAsync(new GraphQLClient(adminOnA), key);

        Assert.Equal(4403, await ws.ReceiveCloseAsync());
    }

    [Fact]
    public async Task AKeyRevokedOnInstanceAIsRefusedOnInstanceBWhereItsCheckWasCached()
    {
        var (key, secret) = await Fixture.WithServiceAsync<ApiKeyOperations, (ApiKey, string)>(keys => keys.CreateAsync("integrator", CrmRole.Viewer, Actor.System));
        await using var a = new CrmApiFactory(WithRedis());
        await using var b = new CrmApiFactory(WithRedis());
        var busB = b.Services.GetRequiredService<RedisEventBus>();
        await TransportWsProtocolTests.WaitUntilAsync(() => busB.IsListening(AccessChanged.TopicName));
        using var integratorOnB = b.CreateClient();
        integratorOnB.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        var onB = new GraphQLClient(integratorOnB);
        var cacheB = b.Services.GetRequiredService<ApiKeyCache>();
        Assert.Equal(HttpStatusCode.OK, (await onB.PostAsync("{ me { kind } }")).Status);
        Assert.NotNull(cacheB.Find(ApiKeyCache.Hash(secret)));
        using var adminOnA = a.CreateClient();
        adminOnA.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);

        await AccessRevocationTests.RevokeAsync(new GraphQLClient(adminOnA), key);
        // B drops its entry when the revocation arrives through Redis, a round trip after A's commit.
        await TransportWsProtocolTests.WaitUntilAsync(() => cacheB.Find(ApiKeyCache.Hash(secret)) is null);

        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.PostAsync("{ me { kind } }")).Status);
    }

    [Fact]
    public async Task WithRedisKilledWebhooksStillSucceedAndAfterItRestartsEventsReachTheSameSubscriber()
    {
        await using var host = new CrmApiFactory(WithRedis());
        await using var ws = await TransportWsClient.ConnectAndInitAsync(host, AdminKey);
        await ws.SubscribeAsync("m", "subscription { messageReceived { body } }");
        await ws.SyncAsync();
        await TransportWsProtocolTests.WaitUntilAsync(() => host.Services.GetRequiredService<RedisEventBus>().IsListening(MessageReceived.TopicName));
        var sender = new WebhookSender(host);

        await RedisCliAsync("shutdown", "nosave");
        try
        {
            using var duringOutage = await sender.PostLegacyAsync(Payloads.WithEventId(WebhookSender.Sample("message.received.json"), "EVredisdown"));
            Assert.Equal(HttpStatusCode.OK, duringOutage.StatusCode);
        }
        finally
        {
            await RunAsync("redis-server", "--bind", "127.0.0.1", "--port", RedisPort, "--save", "", "--appendonly", "no", "--enable-debug-command", "local", "--daemonize", "yes");
        }

        // StackExchange.Redis reconnects and restores the subscription on its own; wait until Redis sees it again.
        for (var i = 0; i < 100 && !(await RedisCliAsync("pubsub", "numsub", RedisEventBus.ChannelPrefix + MessageReceived.TopicName)).Contains("\n1", StringComparison.Ordinal); i++)
        {
            await Task.Delay(200);
        }

        var later = WebhookSender.Sample("message.received.json").Replace("AC24a8b8321c4f4cf2be110f4250793d51", "ACafterredisreturned0000000000001", StringComparison.Ordinal);
        using var afterwards = await sender.PostLegacyAsync(Payloads.WithEventId(later, "EVredisback"));
        var next = await ws.ReceiveAsync();

        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
        Assert.Equal("next", next["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATopicIsSubscribedOnceWhenTheConnectionIsRestoredWhileItsFirstSubscribeIsInFlight()
    {
        using var redis = SlowConsumerTests.Redis();
        var bus = new RedisEventBus(redis, Options.Create(new EventBusOptions()), NullLogger<RedisEventBus>.Instance);
        await (await redis.GetAsync()).GetDatabase().PingAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stall = RedisCliAsync("DEBUG", "SLEEP", "1");
        await Task.Delay(300);

        await using var events = bus.SubscribeAsync(ConversationUpdated.TopicName, cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = events.MoveNextAsync(); // the topic's first SUBSCRIBE goes out and waits behind the stall
        bus.OnConnectionRestored(); // as when Redis comes back from a flap meanwhile
        Assert.Equal("OK", (await stall).Trim());
        await TransportWsProtocolTests.WaitUntilAsync(() => bus.IsListening(ConversationUpdated.TopicName));

        var ids = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        var received = new List<Guid>();
        foreach (var id in ids)
        {
            await bus.PublishAsync(new ConversationUpdated(id), CancellationToken.None);
            Assert.True(await (received.Count == 0 ? pending : events.MoveNextAsync()));
            received.Add(((ConversationUpdated)events.Current).ConversationId);
        }

        // Subscribed twice, every event would arrive twice: the second read would be the first event again.
        Assert.Equal(ids, received);
    }

    private static Dictionary<string, string?> WithRedis()
    {
        var settings = PostgresFixture.Settings();
        settings["ConnectionStrings:Redis"] = Redis;
        return settings;
    }

    private static Task<string> RedisCliAsync(params string[] args) => RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", RedisPort, .. args]);

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
