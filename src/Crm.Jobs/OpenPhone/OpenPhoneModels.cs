namespace Crm.Jobs.OpenPhone;

// OpenPhone's REST shapes (openphone-api.md §4), read leniently: unknown fields are ignored and most fields are optional.

/// <summary>One page of a list: <c>{data, nextPageToken, totalItems}</c>; <c>totalItems</c> is known to be unreliable.</summary>
public sealed record OpenPhonePage<T>(IReadOnlyList<T> Data, string? NextPageToken, int? TotalItems);

/// <summary>The body of <c>POST /v1/messages</c>: one recipient, text only, 1–1600 characters.</summary>
public sealed record OpenPhoneSendMessage(string Content, string From, IReadOnlyList<string> To)
{
    public string? UserId { get; init; }

    public string? SetInboxStatus { get; init; }
}

public sealed record OpenPhoneMessage(
    string Id,
    string? From,
    IReadOnlyList<string>? To,
    string? Text,
    string? PhoneNumberId,
    string? Direction,
    string? UserId,
    string? Status,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt);

public sealed record OpenPhoneLine(string Id, string Number, string? Name, string? FormattedNumber, string? GroupId, IReadOnlyList<OpenPhoneLineUser>? Users, DateTimeOffset? CreatedAt);

public sealed record OpenPhoneLineUser(string Id, string? Email, string? FirstName, string? LastName, string? Role);

public sealed record OpenPhoneConversation(
    string Id,
    string? PhoneNumberId,
    IReadOnlyList<string>? Participants,
    string? Name,
    string? AssignedTo,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? LastActivityAt,
    string? LastActivityId);

public sealed record OpenPhoneCall(
    string Id,
    string? PhoneNumberId,
    IReadOnlyList<string>? Participants,
    string? Direction,
    string? Status,
    double? Duration,
    string? UserId,
    string? AnsweredBy,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? AnsweredAt,
    DateTimeOffset? CompletedAt);

public sealed record OpenPhoneRecording(string Id, string? Url, string? Type, double? Duration, DateTimeOffset? StartTime, string? Status);

public sealed record OpenPhoneCallSummary(string CallId, string? Status, IReadOnlyList<string>? Summary, IReadOnlyList<string>? NextSteps);

public sealed record OpenPhoneTranscript(string CallId, DateTimeOffset? CreatedAt, IReadOnlyList<OpenPhoneDialogueLine>? Dialogue, double? Duration, string? Status);

public sealed record OpenPhoneDialogueLine(string? Content, double? Start, double? End, string? Identifier, string? UserId);

public sealed record OpenPhoneVoicemail(string? Id, double? Duration, string? Transcript, string? RecordingUrl, string? Status);

public sealed record OpenPhoneContact(string Id, string? ExternalId, string? Source, OpenPhoneContactFields? DefaultFields, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt);

public sealed record OpenPhoneContactFields(
    string? FirstName,
    string? LastName,
    string? Company,
    string? Role,
    IReadOnlyList<OpenPhoneLabeledValue>? PhoneNumbers,
    IReadOnlyList<OpenPhoneLabeledValue>? Emails);

public sealed record OpenPhoneLabeledValue(string? Name, string? Value);

/// <summary>Paging arguments of every list: <c>maxResults</c> (≤100, contacts ≤50) and the opaque <c>pageToken</c>.</summary>
public abstract record OpenPhonePageQuery
{
    public int MaxResults { get; init; } = 100;

    public string? PageToken { get; init; }
}

public sealed record OpenPhoneConversationQuery : OpenPhonePageQuery
{
    /// <summary>Lines by <c>PN…</c> id or E.164; none: every conversation of the workspace.</summary>
    public IReadOnlyList<string> PhoneNumbers { get; init; } = [];

    public DateTimeOffset? UpdatedAfter { get; init; }
}

public sealed record OpenPhoneMessageQuery(string PhoneNumberId, IReadOnlyList<string> Participants) : OpenPhonePageQuery
{
    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }
}

/// <summary>Calls are one-to-one: exactly one participant.</summary>
public sealed record OpenPhoneCallQuery(string PhoneNumberId, string Participant) : OpenPhonePageQuery
{
    public DateTimeOffset? CreatedAfter { get; init; }

    public DateTimeOffset? CreatedBefore { get; init; }
}

public sealed record OpenPhoneContactQuery : OpenPhonePageQuery
{
    public OpenPhoneContactQuery() => MaxResults = 50;
}
