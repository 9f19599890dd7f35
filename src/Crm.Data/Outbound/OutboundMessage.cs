namespace Crm.Data.Outbound;

/// <summary>
/// The outbox row of one outgoing text, written in the same transaction as its activity: the sender's work queue and
/// memory. The activity says what staff see; this says what the sender must do next.
/// </summary>
public sealed class OutboundMessage
{
    /// <summary>The activity's id: one outbox row per outgoing text.</summary>
    public Guid ActivityId { get; init; }

    public OutboundState State { get; set; }

    public OutboundPriority Priority { get; set; }

    public SendPurpose Purpose { get; set; }

    /// <summary>For a marketing text to a contact with no consent on record: the sender attests the list was obtained with consent.</summary>
    public bool ConsentAttested { get; set; }

    /// <summary>Our line's OpenPhone id (<c>PN…</c>) the text leaves from.</summary>
    public required string LineOpenPhoneId { get; set; }

    /// <summary>The recipient in E.164.</summary>
    public required string ToNumber { get; set; }

    /// <summary>The caller's key: the same key again returns the first activity and sends nothing.</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>Send requests made for it so far; one the client refused without sending (an open circuit) is not counted.</summary>
    public int Attempts { get; set; }

    /// <summary>When it may next be claimed (backoff after a transient failure).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>While SENDING: the claim is the claimer's until then; after it, a crashed claimer's text is reconciled.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Whose claim it is while SENDING: a claimer whose lease ran out finds another token and changes nothing.</summary>
    public Guid? ClaimToken { get; set; }

    /// <summary>When the first request that may have reached OpenPhone began: reconciliation looks for texts created after it.</summary>
    public DateTimeOffset? FirstSendAt { get; set; }

    /// <summary>A request may have reached OpenPhone without our learning its id (no answer, 5xx, a crash): look before sending again.</summary>
    public bool MaybeSent { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public enum OutboundState
{
    Queued,
    Sending,
    Done,
}

/// <summary>Claimed in this order: a text staff are waiting on goes ahead of a campaign's or an import's.</summary>
public enum OutboundPriority
{
    Staff = 0,
    Bulk = 1,
}
