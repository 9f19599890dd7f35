using Coravel.Invocable;

namespace Crm.Jobs.Webhooks;

/// <summary>Every minute: processes failed webhook events whose backoff has passed (1 min × 2^n, 8 attempts, then dead).</summary>
internal sealed class RetryWebhooksJob(IWebhookEventProcessor processor, TimeProvider clock) : IInvocable, ICancellableInvocable
{
    public CancellationToken CancellationToken { get; set; }

    public Task Invoke() => processor.RetryDueAsync(clock.GetUtcNow(), CancellationToken);
}
