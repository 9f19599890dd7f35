using System.Net;
using Crm.Data;
using Crm.Data.Webhooks;
using Crm.Jobs.Webhooks;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Webhooks;

/// <summary>The embedded default receives webhooks too: storing, processing and the retry claim on SQLite.</summary>
public sealed class WebhookSqliteTests
{
    [Fact]
    public async Task OnTheEmbeddedDefaultDeliveriesAreStoredProcessedDedupedAndRetried()
    {
        var directory = Directory.CreateTempSubdirectory("crm-webhooks-sqlite-").FullName;
        try
        {
            await using var factory = new CrmApiFactory(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Crm"] = "",
                ["Crm:SqlitePath"] = Path.Combine(directory, "crm.db"),
                ["Crm:SeedDemoData"] = "false",
                ["OpenPhone:WebhookSigningKeys:0"] = WebhookSender.LegacyKey,
            });
            var sender = new WebhookSender(factory);
            var message = WebhookSender.Sample("message.received.json");

            var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => sender.PostLegacyAsync(message)));
            using var summary = await sender.PostLegacyAsync(WebhookSender.Sample("call.summary.completed.json"));

            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            await using var scope = factory.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
            Assert.Equal(1, await db.Activities.CountAsync());
            var failed = await db.WebhookEvents.AsNoTracking().SingleAsync(e => e.Status == WebhookEventStatus.Failed);

            var now = failed.NextAttemptAt!.Value;
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<RetryWebhooksJob>().RetryDueAsync(now, default));

            var retried = await db.WebhookEvents.AsNoTracking().SingleAsync(e => e.Id == failed.Id);
            Assert.Equal((WebhookEventStatus.Failed, 2), (retried.Status, retried.Attempts));
            Assert.Equal(now.AddMinutes(2), retried.NextAttemptAt);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
