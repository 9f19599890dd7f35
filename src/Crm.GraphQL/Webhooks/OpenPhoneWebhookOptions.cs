namespace Crm.GraphQL.Webhooks;

/// <summary>Settings under <c>OpenPhone</c> for the webhook receiver.</summary>
public sealed class OpenPhoneWebhookOptions
{
    public const string Section = "OpenPhone";

    public const string StandardKeyPrefix = "whsec_";

    /// <summary>Signing secrets, tried in turn so a key can be rotated: legacy base64 keys and <c>whsec_…</c> keys side by side.</summary>
    public List<string> WebhookSigningKeys { get; set; } = [];

    /// <summary>How far a delivery's timestamp may be from our clock, either way.</summary>
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>Development only: accept deliveries without a signature header. The host refuses to start with it elsewhere.</summary>
    public bool AllowUnsignedWebhooks { get; set; }

    /// <summary>Deliveries accepted per minute across all senders; more get 429 with Retry-After.</summary>
    public int WebhookRateLimitPerMinute { get; set; } = 6000;

    /// <summary>Most deliveries stored by one commit; the batch is whatever arrived while the previous one committed.</summary>
    public int WebhookBatchSize { get; set; } = 256;

    /// <summary>Most stored events a worker processes in one transaction; those waiting for it when it is free.</summary>
    public int WebhookProcessingBatchSize { get; set; } = 16;

    /// <summary>Workers processing stored events; events about one conversation or call always go to the same one.</summary>
    public int WebhookWorkers { get; set; } = 4;

    /// <summary>
    /// Deliveries waiting to be stored, and stored ones waiting for a worker; beyond it, requests wait. Enough for a
    /// minute of a burst above what the workers process (300–700 a second on 2 cores, as measured).
    /// </summary>
    public int WebhookQueueCapacity { get; set; } = 40_000;

    /// <summary>The key bytes: base64-decoded, after the <c>whsec_</c> prefix when there is one; null when not base64.</summary>
    public static byte[]? DecodeKey(string? key)
    {
        var text = key?.Trim() ?? string.Empty;
        if (text.StartsWith(StandardKeyPrefix, StringComparison.Ordinal))
        {
            text = text[StandardKeyPrefix.Length..];
        }

        var bytes = new byte[text.Length];
        return text.Length > 0 && Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }
}
