using Coravel.Invocable;
using Crm.Data.Webhooks;

namespace Crm.Jobs.Webhooks;

/// <summary>Every minute: processes failed webhook events whose backoff has passed (1 min × 2^n, 8 attempts, then dead).</summary>
internal sealed class RetryWebhooksJob(WebhookInbox inbox, IWebhookEventProcessor processor, TimeProvider clock) : IInvocable, ICancellableInvocable
{
    public const int BatchSize = 100;

    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => RetryDueAsync(clock.GetUtcNow(), CancellationToken);

    /// <summary>Retries every due event (failed, or stored and never processed); returns how many it processed.</summary>
    /// <remarks>Each event is claimed first, so instances running this at once, or a replay, never process one twice.</remarks>
    public async Task<int> RetryDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var processed = 0;
        foreach (var id in await inbox.DueAsync(now, BatchSize, cancellationToken))
        {
            if (await inbox.ClaimAsync(id, now, WebhookInbox.Due(now), cancellationToken) is { } claim
                && await processor.ProcessAsync(claim, cancellationToken) is not null)
            {
                processed++;
            }
        }

        return processed;
    }
}
