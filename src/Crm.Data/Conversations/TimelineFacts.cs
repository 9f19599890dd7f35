using Crm.Data.Activities;

namespace Crm.Data.Conversations;

/// <summary>
/// A text as the phone system reports it, in no vendor's format. <c>OpenPhoneId</c> is the dedupe key;
/// <c>LineOpenPhoneId</c> is our line's id (<c>PN…</c>) when known.
/// </summary>
public sealed record MessageFact(
    string OpenPhoneId,
    ActivityDirection Direction,
    string? From,
    IReadOnlyList<string> To,
    string? Body,
    IReadOnlyList<MediaItem> Media,
    string? Status,
    DateTimeOffset OccurredAt,
    string? LineOpenPhoneId,
    string? ConversationOpenPhoneId);

/// <summary>A call as the phone system reports it; null fields are unknown, not empty.</summary>
public sealed record CallFact(
    string OpenPhoneId,
    ActivityDirection Direction,
    string? From,
    IReadOnlyList<string> To,
    string? Status,
    DateTimeOffset OccurredAt,
    DateTimeOffset? AnsweredAt,
    DateTimeOffset? CompletedAt,
    int? DurationSeconds,
    MediaItem? Voicemail,
    IReadOnlyList<MediaItem> Recordings,
    string? LineOpenPhoneId,
    string? ConversationOpenPhoneId);

/// <summary>
/// What arrives about a call after it ended; each part is optional. <c>Call</c> is what the same delivery says
/// about the call itself, enough to create it when it is not known yet.
/// </summary>
public sealed record CallDetails(
    string CallOpenPhoneId,
    IReadOnlyList<MediaItem>? Recordings = null,
    string? Summary = null,
    IReadOnlyList<string>? NextSteps = null,
    IReadOnlyList<TranscriptLine>? Transcript = null,
    CallFact? Call = null);

/// <summary>Details arrived for a call we have not heard of, with nothing to place it on a timeline.</summary>
/// <remarks>Callers keep the delivery and try again once the call is known.</remarks>
public sealed class CallNotKnownYetException(string callOpenPhoneId)
    : DomainException($"Call {callOpenPhoneId} is not known yet.")
{
    public string CallOpenPhoneId { get; } = callOpenPhoneId;
}
