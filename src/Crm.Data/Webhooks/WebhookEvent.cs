namespace Crm.Data.Webhooks;

/// <summary>One verified webhook delivery, stored raw before it is processed: the inbox that makes retries possible.</summary>
public sealed class WebhookEvent
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The sender's event id (OpenPhone's <c>EV…</c>): unique, so a redelivery is recognised.</summary>
    public required string EventId { get; init; }

    public required string Type { get; set; }

    public string? ApiVersion { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The body exactly as received; null once a processed event is past its retention (Retention:WebhookBodies).</summary>
    public required string? Body { get; set; }

    /// <summary>The call a call event is about (OpenPhone's <c>AC…</c>): details waiting for their call are found by it.</summary>
    public string? CallOpenPhoneId { get; init; }

    /// <summary>How many times the sender delivered it.</summary>
    public int Deliveries { get; set; } = 1;

    /// <summary>Until then, whoever claimed the event is processing it and nobody else may; see <see cref="WebhookInbox"/>.</summary>
    public DateTimeOffset? ClaimedUntil { get; set; }

    public WebhookEventStatus Status { get; set; } = WebhookEventStatus.Received;

    /// <summary>Processing attempts so far.</summary>
    public int Attempts { get; set; }

    public string? LastError { get; set; }

    /// <summary>When the retry job may next process it; null once processed, ignored or dead.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public DateTimeOffset? ProcessedAt { get; set; }
}

public enum WebhookEventStatus
{
    Received,
    Processed,
    Failed,
    Ignored,
    Dead,
}
