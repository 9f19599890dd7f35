namespace Crm.Data.Consent;

/// <summary>
/// One fact about a contact's consent to texts, never changed or deleted: who said what, when, and the evidence. The
/// contact's <see cref="SmsConsent"/> is derived from the newest entry.
/// </summary>
public sealed class ConsentEntry
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>Null once the contact is deleted: the entry, and the opt-out it records, outlive the contact.</summary>
    public Guid? ContactId { get; set; }

    /// <summary>The number the consent is about, in E.164: a contact created again with it inherits its opt-out.</summary>
    public string? Phone { get; init; }

    public ConsentStatus Status { get; init; }

    public ConsentSource Source { get; init; }

    /// <summary>When the contact gave or withdrew consent (the text's time, not when we recorded it).</summary>
    public DateTimeOffset At { get; init; }

    public DateTimeOffset RecordedAt { get; init; }

    /// <summary>The incoming text that carried it, with its words as evidence.</summary>
    public Guid? ActivityId { get; init; }

    public string? Evidence { get; init; }

    /// <summary>The staff member or API key that recorded it.</summary>
    public Guid? ActorId { get; init; }

    public string? ActorName { get; init; }

    /// <summary>What else staff or an import said about it (the import's name and row, a note).</summary>
    public string? Note { get; init; }
}

public enum ConsentStatus
{
    OptedIn,
    OptedOut,
}

public enum ConsentSource
{
    /// <summary>A keyword text: STOP, START, REVOKE …</summary>
    Keyword,

    /// <summary>A text the detector read as an opt-out with high confidence.</summary>
    FreeText,

    /// <summary>Staff decided a held text was (or was not) an opt-out.</summary>
    Review,

    /// <summary>Staff recorded it (a phone call, a signed form).</summary>
    Staff,

    Import,

    Api,

    /// <summary>OpenPhone reported the number blocked (a send failed for it).</summary>
    Provider,
}

/// <summary>A contact's consent to texts as the ledger stands: stored on the contact so lists filter on it.</summary>
public sealed class SmsConsent
{
    public SmsConsentStatus Status { get; set; } = SmsConsentStatus.Unknown;

    /// <summary>When the newest entry was given; null while nothing is known.</summary>
    public DateTimeOffset? Since { get; set; }

    public ConsentSource? Source { get; set; }
}

public enum SmsConsentStatus
{
    Unknown,
    OptedIn,
    OptedOut,
}
