using Crm.Data.Activities;
using Crm.Data.Compliance;
using Crm.Data.Consent;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Extensions;

namespace Crm.Data.Outbound;

[Flags]
public enum GateHolds
{
    None = 0,
    ReviewPending = 1,
    QuietHours = 2,
    Cap = 4,
}

public enum GateVerdict
{
    Allow,

    /// <summary>Not now: at <see cref="GateDecision.DeferUntil"/> at the earliest, then asked again. Never dropped.</summary>
    Defer,

    Refuse,
}

/// <summary>
/// What the gate decided for one text, and why, in words staff can act on. <c>OptedOutSince</c> is set when the refusal is
/// the contact's opt-out, so callers can say so in its own error.
/// </summary>
public sealed record GateDecision(GateVerdict Verdict, DateTimeOffset? DeferUntil, IReadOnlyList<string> Reasons, IReadOnlyList<string> Warnings, DateTimeOffset? OptedOutSince = null)
{
    /// <summary>What holds a deferred text back, for callers (campaigns) that treat each differently.</summary>
    public GateHolds Holds { get; init; }

    /// <summary>The refusal as a business error: the opt-out one when that is why.</summary>
    public DomainException Refusal(Contact contact) =>
        OptedOutSince is { } since ? new ContactOptedOutException(contact.Id, since) : new SendRefusedException(Reasons);

    /// <summary>What is recorded on the message: the reasons of a deferral, or the warnings of an allowed text.</summary>
    public string? Note => Verdict == GateVerdict.Defer ? string.Join(" ", Reasons) : Warnings.Count > 0 ? string.Join(" ", Warnings) : null;
}

/// <summary>
/// The one place every outbound text passes, at enqueue and again just before its HTTP request: consent (the ledger),
/// pending opt-out reviews, the recipient's quiet hours, and marketing caps, by the text's <see cref="SendPurpose"/>.
/// </summary>
public sealed class SendGate(CrmDbContext db, TimeProvider clock, IOptions<ComplianceOptions> compliance, IOptions<CrmOptions> crm)
{
    /// <summary>Florida and Oklahoma: at most 3 marketing texts in 24 hours (sending-and-compliance.md §3).</summary>
    private static readonly HashSet<string> ThreePerDayStates = ["FL", "OK"];

    private readonly QuietHours.Window _marketingHours = QuietHours.Window.Parse(compliance.Value.MarketingHours);

    public DateTimeZone BusinessZone { get; } = DateTimeZoneProviders.Tzdb.GetZoneOrNull(crm.Value.BusinessTimeZone)
        ?? throw new InvalidOperationException($"Crm:BusinessTimeZone '{crm.Value.BusinessTimeZone}' is not an IANA time zone.");

    /// <summary>The decision for one text now; <paramref name="activityId"/> is the text, once it exists, so it does not count against itself.</summary>
    public async Task<GateDecision> DecideAsync(Contact contact, SendPurpose purpose, bool consentAttested, Guid? activityId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var now = clock.GetUtcNow();
        if (contact.SmsConsent.Status == SmsConsentStatus.OptedOut)
        {
            return purpose switch
            {
                SendPurpose.Help => Allow(),
                SendPurpose.Confirmation when !await ConfirmedSinceAsync(contact, activityId, cancellationToken) => Allow(),
                SendPurpose.Confirmation => Refuse("The opt-out was already confirmed once."),
                _ => new GateDecision(GateVerdict.Refuse, null, ["The contact opted out of texts."], [], contact.SmsConsent.Since ?? now),
            };
        }

        var place = RecipientPlaces.Of(contact, BusinessZone);
        if (purpose == SendPurpose.Conversation)
        {
            return QuietHours.InFederalHours(now.ToInstant(), place)
                ? Allow()
                : Allow($"It is {LocalTime(now, place)} for the recipient ({place.Zone.Id}): outside 8:00–21:00.");
        }

        if (purpose != SendPurpose.Marketing)
        {
            return Allow();
        }

        if (contact.SmsConsent.Status == SmsConsentStatus.Unknown && !consentAttested)
        {
            return Refuse("No consent to marketing texts is on record for the contact, and the sender did not attest the list's consent.");
        }

        List<string> reasons = [];
        var holds = GateHolds.None;
        var until = now;
        if (await db.OptOutReviews.AnyAsync(r => r.ContactId == contact.Id && r.Status == OptOutReviewStatus.Pending, cancellationToken))
        {
            reasons.Add("Held: a reply from the contact awaits an opt-out review.");
            holds |= GateHolds.ReviewPending;
            until = Later(until, now.AddHours(1));
        }

        var window = QuietHours.NextAllowed(now.ToInstant(), place, _marketingHours);
        if (window is null)
        {
            return Refuse($"No time in the next 10 days is inside the recipient's allowed hours ({place.Zone.Id}).");
        }

        if (window.Value.ToDateTimeOffset() > now)
        {
            reasons.Add($"Quiet hours for the recipient ({place.Zone.Id}, {string.Join("/", place.States.Order(StringComparer.Ordinal))}): deferred to {window.Value.InZone(place.Zone):yyyy-MM-dd HH:mm}.");
            until = Later(until, window.Value.ToDateTimeOffset());
            holds |= GateHolds.QuietHours;
        }

        if (await CapAsync(contact, activityId, now, place, cancellationToken) is { } cap)
        {
            reasons.Add(cap.Reason);
            until = Later(until, cap.Until);
            holds |= GateHolds.Cap;
        }

        return reasons.Count == 0 ? Allow() : new GateDecision(GateVerdict.Defer, until, reasons, []) { Holds = holds };
    }

    /// <summary>The marketing caps: the business's per contact per window, and Florida's and Oklahoma's 3 in 24 hours.</summary>
    private async Task<(string Reason, DateTimeOffset Until)?> CapAsync(Contact contact, Guid? activityId, DateTimeOffset now, RecipientPlace place, CancellationToken cancellationToken)
    {
        var options = compliance.Value;
        var window = TimeSpan.FromDays(options.MarketingWindowDays);
        var sent = await (
            from o in db.OutboundMessages
            join a in db.Activities on o.ActivityId equals a.Id
            where a.ContactId == contact.Id && o.Purpose == SendPurpose.Marketing && a.Id != activityId
                && a.SentAt != null && a.SentAt > now - window
            orderby a.SentAt descending
            select a.SentAt!.Value).ToListAsync(cancellationToken);
        if (sent.Count >= options.MarketingMaxPerContact)
        {
            return ($"Capped: {sent.Count} marketing texts in {options.MarketingWindowDays} days (at most {options.MarketingMaxPerContact}).",
                sent[options.MarketingMaxPerContact - 1] + window);
        }

        var day = sent.Where(s => s > now.AddHours(-24)).ToList();
        return place.States.Overlaps(ThreePerDayStates) && day.Count >= 3
            ? ("Capped: 3 marketing texts in 24 hours (Florida and Oklahoma).", day[2].AddHours(24))
            : null;
    }

    private Task<bool> ConfirmedSinceAsync(Contact contact, Guid? activityId, CancellationToken cancellationToken) =>
        (from o in db.OutboundMessages
         join a in db.Activities on o.ActivityId equals a.Id
         where a.ContactId == contact.Id && o.Purpose == SendPurpose.Confirmation && a.Id != activityId
             && a.CreatedAt >= contact.SmsConsent.Since
             && a.OutboundStatus != MessageStatus.Cancelled && a.OutboundStatus != MessageStatus.Skipped && a.OutboundStatus != MessageStatus.Failed
         select a.Id).AnyAsync(cancellationToken);

    private static string LocalTime(DateTimeOffset now, RecipientPlace place) => now.ToInstant().InZone(place.Zone).ToString("HH:mm", null);

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static GateDecision Allow(params string[] warnings) => new(GateVerdict.Allow, null, [], warnings);

    private static GateDecision Refuse(string reason) => new(GateVerdict.Refuse, null, [reason], []);
}
