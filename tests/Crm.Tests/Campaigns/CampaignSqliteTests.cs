using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Campaigns;
using Crm.Data.Conversations;
using Crm.Data.Users;
using Crm.Jobs.Campaigns;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>The embedded default runs the same campaign statements as PostgreSQL: runs, follow-ups, their stops and counts.</summary>
public sealed class CampaignSqliteTests
{
    [Fact]
    public async Task ADailyCampaignsRunWithAFollowUpIsStartedDispatchedAndCountedOnSqlite()
    {
        await using var host = new SqliteHost();
        var client = await host.ClientAsAsync(CrmRole.Marketer);
        // The demo workspace has several lines: a campaign names its own.
        var line = (await client.DataAsync("{ phoneNumbers(first: 1) { nodes { id } } }"))["phoneNumbers"]!["nodes"]![0]!["id"]!.GetValue<string>();
        var id = await CreateAsync(client, new
        {
            name = "Daily VIPs",
            phoneNumberId = line,
            consentAttested = true,
            perMinute = 600,
            window = new { start = "00:00", end = "23:59", days = new[] { 1, 2, 3, 4, 5, 6, 7 } },
            audience = new { where = new { tags = new { some = new { eq = "vip" } } } },
            variants = new[] { new { body = "Hi {firstName|there}, a VIP check this week?" } },
            followUps = new[] { new { afterHours = 24, body = "Still on for the check?" } },
            recurrence = new { frequency = "DAILY" },
        });
        var startAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var scheduled = (await client.DataAsync(
            "mutation($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { errors { __typename } } }",
            new { input = new { id, startAt } }))["scheduleCampaign"]!;
        await Task.Delay(startAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(500));

        await using (var scope = host.Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<CampaignTickJob>().RunAsync(CancellationToken.None);
            // A recipient of the run texts in (attributed, if their text went already), then the dispatcher looks again.
            var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            Assert.True(await db.CampaignRecipients.AnyAsync(), string.Join("\n", host.Factory.Logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"{e.Category}: {e.Message}")));
            var phone = await db.CampaignRecipients.Join(db.Contacts, r => r.ContactId, c => c.Id, (r, c) => c.Phone).FirstAsync();
            var number = await db.PhoneNumbers.Where(p => p.Id == Crm.GraphQL.Server.Conventions.NodeId.Decode(line, "PhoneNumber")).Select(p => p.Number).SingleAsync();
            await scope.ServiceProvider.GetRequiredService<TimelineOperations>().RecordMessageAsync(
                new MessageFact($"AC{Guid.NewGuid():N}", ActivityDirection.Incoming, phone, [number], "Yes", [], "received", DateTimeOffset.UtcNow, null, null),
                CancellationToken.None);
            await scope.ServiceProvider.GetRequiredService<CampaignDispatcher>().DispatchAsync(CancellationToken.None);
        }

        var campaign = await GetAsync(client, id, """
            status recurrence { nextRunAt }
            runs(first: 5) { nodes { status followUps { afterHours } results { total { audience queued } followUps { total } }
              recipients(first: 5) { nodes { followUps { status } } } } }
            """);
        Assert.True(scheduled["errors"] is null or System.Text.Json.Nodes.JsonArray { Count: 0 }, scheduled.ToJsonString());
        Assert.Equal("SCHEDULED", campaign["status"]!.GetValue<string>());
        var run = campaign["runs"]!["nodes"]!.AsArray().Single()!;
        Assert.Equal(("RUNNING", 24), (run["status"]!.GetValue<string>(), run["followUps"]![0]!["afterHours"]!.GetValue<int>()));
        Assert.True(Int(run, "results.total.audience") > 0);
        Assert.DoesNotContain(host.Factory.Logs.Entries, e => e.Level >= LogLevel.Error);
    }
}
