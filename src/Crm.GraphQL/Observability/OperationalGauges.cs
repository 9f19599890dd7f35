using System.Diagnostics.Metrics;
using Crm.Data;
using Crm.Data.Outbound;
using Crm.Data.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Observability;

/// <summary>
/// The plan's state metrics — outbound queue depth and its oldest text's age, the webhook backlog, the last day's
/// campaign delivery rate — read from the database every 15 s here, never in the scrape (a gauge's callback is
/// synchronous, and a scrape must not wait on the database it reports on).
/// </summary>
internal sealed partial class OperationalGauges : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(15);

    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ILogger<OperationalGauges> _logger;
    private Sample _sample = new(0, 0, 0, null);

    public OperationalGauges(IServiceScopeFactory scopes, TimeProvider clock, ILogger<OperationalGauges> logger)
    {
        (_scopes, _clock, _logger) = (scopes, clock, logger);
        CrmMetrics.Meter.CreateObservableGauge("crm.outbound.queue_depth", () => _sample.QueueDepth, description: "Texts queued or being sent.");
        CrmMetrics.Meter.CreateObservableGauge("crm.outbound.oldest_age", () => _sample.OldestSeconds, unit: "s", description: "How long the oldest text still queued has waited.");
        CrmMetrics.Meter.CreateObservableGauge("crm.webhooks.backlog", () => _sample.WebhookBacklog, description: "Webhook events stored but not yet processed, or failed and waiting for a retry.");
        CrmMetrics.Meter.CreateObservableGauge("crm.campaigns.delivery_rate", () => _sample.DeliveryRate is { } rate ? [new Measurement<double>(rate)] : Array.Empty<Measurement<double>>(),
            description: "Of the campaign texts sent in the last 24 hours, the share delivered (absent when none was sent).");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, _clock);
        do
        {
            try
            {
                _sample = await ReadAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database away: the last sample stands, and /health/ready says what is wrong.
                LogSampleFailed(_logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<Sample> ReadAsync(CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CrmDbContext>();
        var now = _clock.GetUtcNow();
        var queued = db.OutboundMessages.AsNoTracking().Where(m => m.State != OutboundState.Done);
        var depth = await queued.CountAsync(cancellationToken);
        var oldest = depth == 0 ? (DateTimeOffset?)null : await queued.MinAsync(m => (DateTimeOffset?)m.CreatedAt, cancellationToken);
        var backlog = await db.WebhookEvents.AsNoTracking().CountAsync(e => e.Status == WebhookEventStatus.Received || e.Status == WebhookEventStatus.Failed, cancellationToken);
        var since = now.AddDays(-1);
        var sent = db.CampaignRecipients.AsNoTracking().Where(r => r.Activity!.SentAt >= since);
        var sentCount = await sent.CountAsync(cancellationToken);
        var delivered = sentCount == 0 ? 0 : await sent.CountAsync(r => r.Activity!.DeliveredAt != null, cancellationToken);
        return new Sample(depth, oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0, backlog, sentCount == 0 ? null : (double)delivered / sentCount);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the operational metrics failed; the last values stand.")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);

    private sealed record Sample(int QueueDepth, double OldestSeconds, int WebhookBacklog, double? DeliveryRate);
}
