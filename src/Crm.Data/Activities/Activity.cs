namespace Crm.Data.Activities;

/// <summary>One message or call on a conversation's timeline.</summary>
public sealed class Activity
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid ConversationId { get; set; }

    public Guid ContactId { get; set; }

    public ActivityKind Kind { get; set; }

    public ActivityDirection Direction { get; set; }

    public string? Body { get; set; }

    public List<MediaItem> Media { get; set; } = [];

    /// <summary>OpenPhone's raw status (<c>queued</c>, <c>delivered</c>, <c>no-answer</c>, …): its vocabulary grows, so no enum.</summary>
    public string? Status { get; set; }

    /// <summary>Where an outgoing text is in the outbound pipe; null for calls and incoming texts.</summary>
    public MessageStatus? OutboundStatus { get; set; }

    /// <summary>Why an outgoing text was not sent (FAILED or SKIPPED), in words staff can act on.</summary>
    public string? FailureReason { get; set; }

    /// <summary>The send gate's last word on an outgoing text when it let it through late or with a warning: a deferral, after hours.</summary>
    public string? GateNote { get; set; }

    /// <summary>SMS parts an outgoing text takes (GSM-7 or UCS-2), what OpenPhone charges for.</summary>
    public int? Segments { get; set; }

    public DateTimeOffset? QueuedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>OpenPhone's id, <c>AC…</c>: the dedupe key for messages and calls.</summary>
    public string? OpenPhoneId { get; set; }

    public string? FromNumber { get; set; }

    public List<string> ToNumbers { get; set; } = [];

    /// <summary>OpenPhone's createdAt: when it happened, not when we heard of it.</summary>
    public DateTimeOffset OccurredAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? ErrorText { get; set; }

    public int? DurationSeconds { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public List<MediaItem> Recordings { get; set; } = [];

    public MediaItem? Voicemail { get; set; }

    public string? AiSummary { get; set; }

    public List<string> AiNextSteps { get; set; } = [];

    public List<TranscriptLine> Transcript { get; set; } = [];
}

/// <summary>A media attachment, recording or voicemail: where it is and what it is.</summary>
public sealed class MediaItem
{
    public required string Url { get; set; }

    public string? Type { get; set; }

    public int? DurationSeconds { get; set; }
}

public sealed class TranscriptLine
{
    public string? Speaker { get; set; }

    public required string Text { get; set; }

    public double? StartSeconds { get; set; }

    public double? EndSeconds { get; set; }
}

public enum ActivityKind
{
    Message,
    Call,
}

/// <summary>An outgoing text's life: QUEUED → SENDING → SENT → DELIVERED, or FAILED, SKIPPED (the send gate refused it) or CANCELLED.</summary>
public enum MessageStatus
{
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    Skipped,
    Cancelled,
}

public enum ActivityDirection
{
    Incoming,
    Outgoing,
}
