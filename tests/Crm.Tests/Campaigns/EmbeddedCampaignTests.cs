using Crm.Data.Campaigns;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Crm.Tests.Campaigns.Campaigns;

namespace Crm.Tests.Campaigns;

/// <summary>The embedded default (SQLite, demo data, its own simulator) runs campaigns too.</summary>
public sealed class EmbeddedCampaignTests
{
    [Fact]
    public async Task ACampaignToTheDemoContactsPreviewsStartsAndDispatchesOnSqlite()
    {
        await using var host = new SqliteHost(new Dictionary<string, string?> { ["OpenPhone:Simulator:ReplyRate"] = "0" });
        host.Factory.UseKestrel(0);
        host.Factory.StartServer();
        var client = await host.ClientAsAsync(CrmRole.Marketer);
        var preview = (await client.DataAsync("query { audiencePreview(input: { where: {}, consentAttested: true }) { total eligible excluded { reason count } } }"))["audiencePreview"]!;
        var line = (await client.DataAsync("{ phoneNumbers(first: 1) { nodes { id } } }"))["phoneNumbers"]!["nodes"]![0]!["id"]!.GetValue<string>();
        var id = await CreateAsync(client, new
        {
            name = "Demo",
            phoneNumberId = line,
            consentAttested = true,
            audience = new { where = new { } },
            window = new { start = "00:00", end = "23:59", days = new[] { 1, 2, 3, 4, 5, 6, 7 } },
            variants = new[] { new { body = "Hi {firstName|there}, spring special on crack repair!" } },
        });
        var started = await ActAsync(client, "startCampaign", id);
        Assert.True(started["errors"] is null or System.Text.Json.Nodes.JsonArray { Count: 0 }, started.ToJsonString());
        int queued;
        await using (var scope = host.Factory.Services.CreateAsyncScope())
        {
            queued = await scope.ServiceProvider.GetRequiredService<CampaignDispatcher>().DispatchAsync(CancellationToken.None);
        }

        var total = (await GetAsync(client, id))["results"]!["total"]!;
        Assert.True(Int(preview, "total") > 0);
        Assert.Equal("RUNNING", started["campaign"]!["status"]!.GetValue<string>());
        Assert.Equal(Int(preview, "total"), Int(total, "audience"));
        Assert.Equal(Int(preview, "total") - Int(preview, "eligible"), Int(total, "skipped"));
        // Recipients in their quiet hours now wait; the rest were queued for this tick's turns.
        Assert.Equal(Int(total, "audience"), Int(total, "pending") + Int(total, "queued") + Int(total, "sent") + Int(total, "failedToSend") + Int(total, "skipped"));
        Assert.Equal(queued, Int(total, "queued") + Int(total, "sent") + Int(total, "failedToSend"));
    }
}
