using Crm.Data.Compliance;
using Crm.Data.Consent;
using Crm.Data.Contacts;
using Crm.Data.Outbound;
using Crm.Data.Phones;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>What the campaign rules read of a contact.</summary>
public sealed record AudienceMember(Guid Id, string? Phone, SmsConsentStatus Consent, List<string> Tags);

/// <summary>
/// Who of an audience a campaign may not text, and why: the same rules for a preview, at start and before each send
/// (where the send gate then checks again, with the recipient's quiet hours). The first reason that applies is given.
/// </summary>
public sealed class CampaignEligibility(CrmDbContext db, TimeProvider clock, IOptions<CampaignOptions> options, IOptions<ComplianceOptions> compliance)
{
    /// <summary>Contacts are read in chunks of this many ids: each chunk is one query per rule.</summary>
    public const int Chunk = 2_000;

    public static IQueryable<AudienceMember> Members(IQueryable<Contact> contacts) =>
        contacts.Select(c => new AudienceMember(c.Id, c.Phone, c.SmsConsent.Status, c.Tags));

    /// <summary>The reason each excluded contact of <paramref name="members"/> is; the others may be texted.</summary>
    public async Task<Dictionary<Guid, SkipReason>> ExcludedAsync(IReadOnlyList<AudienceMember> members, bool consentAttested, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(members);
        var excluded = new Dictionary<Guid, SkipReason>();
        var tags = options.Value.Excluded();
        foreach (var m in members)
        {
            SkipReason? reason = m switch
            {
                { Consent: SmsConsentStatus.OptedOut } => SkipReason.OptedOut,
                _ when m.Tags.Any(t => tags.Contains(t, StringComparer.OrdinalIgnoreCase)) => SkipReason.ExcludedTag,
                _ when !PhoneNumberNormalizer.CanReceiveTexts(m.Phone) => SkipReason.NoMobileNumber,
                { Consent: SmsConsentStatus.Unknown } when !consentAttested => SkipReason.NoConsent,
                _ => null,
            };
            if (reason is { } found)
            {
                excluded[m.Id] = found;
            }
        }

        var rest = members.Where(m => !excluded.ContainsKey(m.Id)).Select(m => m.Id).ToList();
        if (rest.Count == 0)
        {
            return excluded;
        }

        var reviewed = await db.OptOutReviews.Where(r => rest.Contains(r.ContactId) && r.Status == OptOutReviewStatus.Pending)
            .Select(r => r.ContactId).Distinct().ToListAsync(cancellationToken);
        foreach (var id in reviewed)
        {
            excluded[id] = SkipReason.ReviewPending;
        }

        foreach (var id in await CappedAsync([.. rest.Except(reviewed)], cancellationToken))
        {
            excluded[id] = SkipReason.FrequencyCap;
        }

        return excluded;
    }

    /// <summary>Contacts that had the business's most marketing texts in its window (<c>Compliance:MarketingMaxPerContact</c>), as the send gate counts.</summary>
    private async Task<List<Guid>> CappedAsync(List<Guid> ids, CancellationToken cancellationToken)
    {
        var rules = compliance.Value;
        var since = clock.GetUtcNow() - TimeSpan.FromDays(rules.MarketingWindowDays);
        return await (
            from o in db.OutboundMessages
            join a in db.Activities on o.ActivityId equals a.Id
            where ids.Contains(a.ContactId) && o.Purpose == SendPurpose.Marketing && a.SentAt != null && a.SentAt > since
            group a by a.ContactId into sent
            where sent.Count() >= rules.MarketingMaxPerContact
            select sent.Key).ToListAsync(cancellationToken);
    }
}
