using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.Data.Webhooks;
using Crm.GraphQL.Server.Conventions;
using Crm.Jobs.Maintenance;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Maintenance;

/// <summary>Retention on a fixed clock: what goes, what stays, once a day across instances, and what a replay then says.</summary>
public sealed class RetentionJobTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static readonly DateTimeOffset Now = new(2027, 6, 15, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RemovesOldProcessedBodiesAndOldAuditEntriesOnceADayAndKeepsTheRest()
    {
        await Fixture.ResetAsync();
        var ids = new Dictionary<string, Guid>();
        await Fixture.ArrangeAsync(async db =>
        {
            foreach (var (name, status, age) in new[]
            {
                ("old-processed", WebhookEventStatus.Processed, 91), ("old-ignored", WebhookEventStatus.Ignored, 200),
                ("old-failed", WebhookEventStatus.Failed, 120), ("old-dead", WebhookEventStatus.Dead, 120), ("recent-processed", WebhookEventStatus.Processed, 89),
            })
            {
                var e = new WebhookEvent { EventId = "EV" + name, Type = "message.received", Body = "{\"id\":\"EV" + name + "\"}", Status = status, ReceivedAt = Now.AddDays(-age) };
                db.WebhookEvents.Add(e);
                ids[name] = e.Id;
            }

            db.AuditEntries.AddRange(
                new AuditEntry { Action = "login.succeeded", ActorKind = AuditActorKind.User, At = Now.AddDays(-731) },
                new AuditEntry { Action = "login.failed", ActorKind = AuditActorKind.User, At = Now.AddDays(-729) });
            await db.SaveChangesAsync();
        });

        var first = await RunAsync(Now);
        var again = await RunAsync(Now.AddHours(20));
        var tomorrow = await RunAsync(Now.AddDays(1));

        Assert.Equal(new RetentionResult(2, 1), first);
        Assert.Null(again);
        Assert.Equal(new RetentionResult(0, 0), tomorrow);
        var kept = await Fixture.QueryAsync(db => db.WebhookEvents.AsNoTracking().ToDictionaryAsync(e => e.EventId[2..], e => e.Body != null));
        Assert.Equal(new Dictionary<string, bool> { ["old-processed"] = false, ["old-ignored"] = false, ["old-failed"] = true, ["old-dead"] = true, ["recent-processed"] = true }, kept);
        Assert.Equal(["login.failed"], await Fixture.QueryAsync(db => db.AuditEntries.AsNoTracking().Select(a => a.Action).ToListAsync()));

        // The event row stays, for the log; replaying it says why nothing can be done. (The reset took the test's key.)
        var admin = await Fixture.ClientAsAsync(CrmRole.Admin);
        var replay = await admin.DataAsync(
            "mutation($input: ReplayWebhookEventInput!) { replayWebhookEvent(input: $input) { webhookEvent { id } errors { __typename ... on Error { message } } } }",
            new { input = new { id = NodeId.Encode("WebhookEvent", ids["old-processed"]) } });
        Assert.Equal("WebhookBodyNotKeptError", replay["replayWebhookEvent"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        var log = await admin.DataAsync("{ webhookEvents(first: 10, status: PROCESSED) { nodes { eventId body } } }");
        var row = log["webhookEvents"]!["nodes"]!.AsArray().Single(n => n!["eventId"]!.GetValue<string>() == "EVold-processed")!;
        Assert.Null(row["body"]);
    }

    [Fact]
    public async Task TwoInstancesTryingAtOnceRunItOnce()
    {
        await using var second = new CrmApiFactory(PostgresFixture.Settings());
        var day = Now.AddDays(30);

        // Ten tries at the same moment, half on each instance, each through its own scope and connection.
        var tries = Enumerable.Range(0, 10).Select(i => i % 2 == 0
            ? RunAsync(day)
            : Task.Run(async () =>
            {
                await using var scope = second.Services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(day, CancellationToken.None);
            }));
        var results = await Task.WhenAll(tries);

        Assert.Single(results, r => r is not null);
    }

    private Task<RetentionResult?> RunAsync(DateTimeOffset now) =>
        Fixture.WithServiceAsync<RetentionJob, RetentionResult?>(job => job.RunAsync(now, CancellationToken.None));
}
