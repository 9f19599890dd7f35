using Crm.Data.Activities;
using Crm.GraphQL.Server.Conventions;
using Crm.Tests.Infrastructure;
using Crm.Tests.OpenPhone;
using Crm.Tests.Outbound;
using Microsoft.EntityFrameworkCore;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>The server process killed (SIGKILL) in the middle of a campaign, then started again, on the real clock.</summary>
public sealed class CampaignCrashTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const int Recipients = 40;

    [Fact]
    public async Task AfterKillNineTheNextStartTextsTheRestAndNobodyTwice()
    {
        // The arranging host runs no scheduler and no sender; the server processes do both.
        await using var host = await OutboundHost.StartAsync(workers: 0);
        await host.ArrangeAsync(0);
        // The recipients live where it is early afternoon now, so their quiet hours never hold this test up.
        var offset = ((13 - DateTimeOffset.UtcNow.Hour + 36) % 24) - 12;
        var zone = offset == 0 ? "Etc/UTC" : $"Etc/GMT{(offset > 0 ? "-" : "+")}{Math.Abs(offset)}";
        await AddContactsAsync(host, Recipients, "crash", change: (c, _) => c.TimeZone = zone);
        var client = await host.ClientAsync();
        var id = await CreateAsync(client, new
        {
            name = "Crash",
            perMinute = 300,
            window = new { start = "00:00", end = "23:59", days = new[] { 1, 2, 3, 4, 5, 6, 7 } },
            audience = new { where = new { tags = new { some = new { eq = "crash" } } } },
            variants = new[] { new { body = "Hi {firstName|there}, free crack check?" } },
        });
        await ActAsync(client, "startCampaign", id);
        var settings = PostgresFixture.Settings();
        settings["OpenPhone:ApiKey"] = SimulatorServer.ApiKey;
        settings["OpenPhone:ApiBaseUrl"] = host.Simulator.BaseAddress.ToString();
        settings["OpenPhone:RequestsPerSecond"] = "100";
        settings["OpenPhone:Outbound:Workers"] = "1";
        settings["OpenPhone:Outbound:Lease"] = "00:00:03";
        settings["Campaigns:Tick"] = "00:00:01";
        settings["Campaigns:DailyCap"] = "1000000";

        long killedAt;
        await using (var first = await ServerProcess.StartAsync(settings))
        {
            await UntilAsync(() => Accepted() >= 10, first);
            await first.KillAsync();
            killedAt = Accepted();
        }

        await using var second = await ServerProcess.StartAsync(settings);
        await UntilAsync(() => Accepted() >= Recipients, second);
        // Whatever the first process had in flight is reconciled, not sent again: give it the time to be.
        await Task.Delay(TimeSpan.FromSeconds(5));

        Assert.InRange(killedAt, 10, Recipients - 1);
        Assert.Equal(Recipients, Accepted());
        var texts = await host.QueryAsync(db => db.Activities.AsNoTracking().Where(a => a.Direction == ActivityDirection.Outgoing).Select(a => a.ContactId).ToListAsync());
        Assert.Equal(Recipients, texts.Count);
        Assert.Equal(Recipients, texts.Distinct().Count());
        var campaign = NodeId.Decode(id, "Campaign");
        Assert.Equal(Recipients, await host.QueryAsync(db => db.CampaignRecipients.CountAsync(r => r.CampaignId == campaign && r.ActivityId != null)));

        long Accepted() => host.Simulator.Traffic.Stats().MessagesAccepted;
    }

    private static async Task UntilAsync(Func<bool> done, ServerProcess server)
    {
        for (var i = 0; i < 600 && !done(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(done(), $"Not there after 60 s:\n{server.Output}");
    }
}
