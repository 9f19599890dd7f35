namespace Crm.Jobs.Webhooks;

/// <summary>
/// Turns stored webhook events into domain operations. The webhook feature implements it, beside the endpoint that
/// processes each delivery on the request path; the retry job here only schedules it.
/// </summary>
public interface IWebhookEventProcessor
{
    /// <summary>Retries every due event (failed, or stored and never processed); returns how many it processed.</summary>
    Task<int> RetryDueAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
