namespace Crm.Data.Campaigns;

/// <summary>DRAFT → SCHEDULED → RUNNING ⇄ PAUSED → COMPLETED, or CANCELLED (<see cref="CampaignOperations"/>).</summary>
public enum CampaignStatus
{
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Cancelled,
}

/// <summary>How often a recurring campaign runs.</summary>
public enum RecurrenceFrequency
{
    Daily,

    /// <summary>On <see cref="Campaign.RecurrenceDays"/>.</summary>
    Weekly,

    /// <summary>On the day of the month of its first run, or the month's last day when the month is shorter.</summary>
    Monthly,
}

/// <summary>
/// A marketing text to an audience, in one to five variants, sent from one line inside a daily window at a paced rate.
/// Its recipients are materialized when it starts; until then it is only settings.
/// </summary>
public sealed class Campaign
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public CampaignStatus Status { get; set; }

    /// <summary>The audience as a saved contact filter: <c>ContactFilterInput</c> as JSON, evaluated at start. Or <see cref="ListId"/>.</summary>
    public string? AudienceFilter { get; set; }

    /// <summary>The audience as a contact list's members at start.</summary>
    public Guid? ListId { get; set; }

    /// <summary>Our line it sends from; null: the default line.</summary>
    public Guid? PhoneNumberId { get; set; }

    /// <summary>The sender attests that contacts with no consent on record gave it (a bought list with evidence elsewhere).</summary>
    public bool ConsentAttested { get; set; }

    /// <summary>At most this many of this campaign's texts a day; null: only the line's cap (<c>Campaigns:DailyCap</c>).</summary>
    public int? DailyCap { get; set; }

    /// <summary>At most this many texts a minute.</summary>
    public int PerMinute { get; set; }

    /// <summary>The daily send window in the business time zone, as <c>HH:mm</c>.</summary>
    public required string WindowStart { get; set; }

    public required string WindowEnd { get; set; }

    /// <summary>ISO days of the week (1 Monday … 7 Sunday) the window opens on.</summary>
    public List<int> WindowDays { get; set; } = [];

    /// <summary>When a SCHEDULED campaign starts.</summary>
    public DateTimeOffset? StartAt { get; set; }

    /// <summary>The IANA zone <see cref="StartAt"/> was given in, shown back to staff.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Sends per variant before the z-test is read.</summary>
    public int MinSample { get; set; }

    /// <summary>The confidence (0.5–0.999) at which a variant is the winner.</summary>
    public double Confidence { get; set; }

    /// <summary>Once a variant wins, the remaining sends all use it.</summary>
    public bool AutoWinner { get; set; }

    public Guid? WinnerVariantId { get; set; }

    public List<CampaignVariant> Variants { get; set; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string CreatedBy { get; init; } = string.Empty;

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>
    /// Set: the campaign recurs and never texts anyone itself; each run is a child campaign (<see cref="ParentId"/>),
    /// and the campaign stays SCHEDULED with <see cref="StartAt"/> at its next run until <see cref="RecurrenceUntil"/>.
    /// </summary>
    public RecurrenceFrequency? Recurrence { get; set; }

    /// <summary>ISO days of the week (1 Monday … 7 Sunday) a weekly campaign runs on.</summary>
    public List<int> RecurrenceDays { get; set; } = [];

    /// <summary>No run starts after this.</summary>
    public DateTimeOffset? RecurrenceUntil { get; set; }

    /// <summary>
    /// The start it was scheduled for: every run is at this local time of day in <see cref="TimeZone"/> (a monthly one on
    /// this day of the month), kept apart from <see cref="StartAt"/> so that a DST gap or a short month never shifts later runs.
    /// </summary>
    public DateTimeOffset? RecurrenceAnchor { get; set; }

    /// <summary>A run texts contacts earlier runs of its parent texted too; otherwise they are ALREADY_TEXTED.</summary>
    public bool IncludePreviouslyTexted { get; set; }

    /// <summary>The recurring campaign this is a run of.</summary>
    public Guid? ParentId { get; set; }

    /// <summary>Texts that follow the campaign's, each some time after the one before, until the contact replies.</summary>
    public List<FollowUpStep> FollowUps { get; set; } = [];
}

/// <summary>Step <see cref="Number"/> of a campaign's follow-up sequence: <see cref="Body"/>, <see cref="DelayHours"/> after the text before it was sent.</summary>
public sealed class FollowUpStep
{
    public Guid CampaignId { get; init; }

    /// <summary>1 for the first follow-up; the campaign's own text is step 0.</summary>
    public int Number { get; init; }

    public int DelayHours { get; set; }

    public required string Body { get; set; }
}

public sealed class CampaignVariant
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid CampaignId { get; init; }

    /// <summary>A, B, C…: its place among the campaign's variants.</summary>
    public required string Label { get; set; }

    public required string Body { get; set; }

    /// <summary>Its share of the audience, relative to the other variants' weights.</summary>
    public int Weight { get; set; } = 1;
}

/// <summary>What a recipient row itself records; sent, delivered and failed come from the text's own status.</summary>
public enum RecipientState
{
    /// <summary>Not sent yet: waiting for a turn of the pace, the window, or the recipient's allowed hours.</summary>
    Pending,

    /// <summary>A text was queued for it (<see cref="CampaignRecipient.ActivityId"/>); it follows that text.</summary>
    Queued,

    /// <summary>Not texted, for <see cref="CampaignRecipient.SkipReason"/>.</summary>
    Skipped,
}

/// <summary>A text a campaign sends at a turn of its pace: a recipient's first text, or one of its follow-up steps.</summary>
public interface ICampaignText
{
    /// <summary>Not tried again before this (the recipient's quiet hours).</summary>
    DateTimeOffset NextTryAt { get; set; }

    /// <summary>Not texted, for <paramref name="reason"/>.</summary>
    void Skip(SkipReason reason, string? note);

    /// <summary>Its text <paramref name="activityId"/> was queued for <paramref name="turn"/>.</summary>
    void Queue(Guid activityId, DateTimeOffset turn);
}

/// <summary>One contact of a started campaign: unique per (campaign, contact), so nobody is texted twice by it.</summary>
public sealed class CampaignRecipient : ICampaignText
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid CampaignId { get; init; }

    public Guid ContactId { get; init; }

    /// <summary>Assigned at start from a hash of the campaign and contact ids: the same after any restart.</summary>
    public Guid VariantId { get; set; }

    public RecipientState State { get; set; }

    public SkipReason? SkipReason { get; set; }

    /// <summary>Details of the skip in words (the gate's reason, for one).</summary>
    public string? SkipNote { get; set; }

    /// <summary>Not tried again before this (the recipient's quiet hours).</summary>
    public DateTimeOffset NextTryAt { get; set; }

    /// <summary>The text queued for it.</summary>
    public Guid? ActivityId { get; set; }

    public Activities.Activity? Activity { get; init; }

    /// <summary>The turn of the pace its text was queued for: the day it counts against the daily cap.</summary>
    public DateTimeOffset? QueuedAt { get; set; }

    public DateTimeOffset? RepliedAt { get; set; }

    public Guid? ReplyActivityId { get; set; }

    public DateTimeOffset? OptedOutAt { get; set; }

    public void Skip(SkipReason reason, string? note) => (State, SkipReason, SkipNote) = (RecipientState.Skipped, reason, note);

    public void Queue(Guid activityId, DateTimeOffset turn) => (State, ActivityId, QueuedAt) = (RecipientState.Queued, activityId, turn);
}

/// <summary>Why a recipient was not texted.</summary>
public enum SkipReason
{
    OptedOut,
    NoConsent,
    ReviewPending,
    NoMobileNumber,
    ExcludedTag,
    FrequencyCap,
    AlreadyTexted,
    Refused,
}

/// <summary>Where one recipient's follow-up step stands.</summary>
public enum FollowUpState
{
    /// <summary>Due at <see cref="CampaignFollowUp.DueAt"/>; then it waits for a turn of the campaign's pace like a first text.</summary>
    Pending,

    /// <summary>Its text was queued (<see cref="CampaignFollowUp.ActivityId"/>); it follows that text.</summary>
    Queued,

    /// <summary>Not texted, for <see cref="CampaignFollowUp.SkipReason"/>: the rest of the sequence is not sent either.</summary>
    Skipped,

    /// <summary>The contact replied or opted out after the text before it: the sequence ends here.</summary>
    Stopped,
}

/// <summary>
/// One follow-up step of one recipient, written once the text before it was sent: unique per (recipient, step), and its
/// text's idempotency key is <c>campaign:{recipientId}:step:{n}</c>, so no step is ever sent twice.
/// </summary>
/// <remarks>
/// A row per step rather than columns on the recipient: a sequence has up to five steps, each with its own state, text
/// and times, and the dispatcher finds the due ones by an index on the state and the
/// time, as it finds recipients.
/// </remarks>
public sealed class CampaignFollowUp : ICampaignText
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid CampaignId { get; init; }

    public Guid RecipientId { get; init; }

    /// <summary><see cref="FollowUpStep.Number"/>.</summary>
    public int Step { get; init; }

    public FollowUpState State { get; set; }

    public SkipReason? SkipReason { get; set; }

    public string? SkipNote { get; set; }

    /// <summary>When the text before it was sent: a text from the contact after this stops the sequence.</summary>
    public DateTimeOffset PreviousSentAt { get; init; }

    /// <summary><see cref="PreviousSentAt"/> + the step's delay.</summary>
    public DateTimeOffset DueAt { get; init; }

    /// <summary>Not tried again before this (the recipient's quiet hours).</summary>
    public DateTimeOffset NextTryAt { get; set; }

    public Guid? ActivityId { get; set; }

    public Activities.Activity? Activity { get; init; }

    /// <summary>The turn of the pace its text was queued for: it counts against that day's caps.</summary>
    public DateTimeOffset? QueuedAt { get; set; }

    public DateTimeOffset? StoppedAt { get; set; }

    public void Skip(SkipReason reason, string? note) => (State, SkipReason, SkipNote) = (FollowUpState.Skipped, reason, note);

    public void Queue(Guid activityId, DateTimeOffset turn) => (State, ActivityId, QueuedAt) = (FollowUpState.Queued, activityId, turn);
}

/// <summary>What happened to a campaign, for its history: transitions, a declared winner.</summary>
public sealed class CampaignEvent
{
    public long Id { get; init; }

    public Guid CampaignId { get; init; }

    public DateTimeOffset At { get; init; }

    public required string Kind { get; init; }

    public string? Detail { get; init; }

    public string Actor { get; init; } = string.Empty;
}
