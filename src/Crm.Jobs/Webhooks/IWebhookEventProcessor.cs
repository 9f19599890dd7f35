using Crm.Data.Webhooks;

namespace Crm.Jobs.Webhooks;

/// <summary>
/// Turns stored webhook events into domain operations. The webhook feature implements it, beside the workers that
/// process each delivery after it is stored; the retry job here only finds, claims and hands over due events.
/// </summary>
public interface IWebhookEventProcessor
{
    /// <summary>
    /// Processes a claimed event and ends the claim: processed, ignored, or failed with its next attempt. Null when the
    /// claim had run out and another claimant took the event over: then nothing was done here.
    /// </summary>
    /// <remarks>Throws when the database failed even to record a failure; the claim then holds until its lease runs out.</remarks>
    Task<WebhookEventStatus?> ProcessAsync(WebhookClaim claim, CancellationToken cancellationToken);
}
