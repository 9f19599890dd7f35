using Crm.Data.Activities;
using Crm.Data.Compliance;
using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>
/// An incoming text is the reply to the most recent campaign text its contact was sent within
/// <c>Campaigns:AttributionWindowDays</c> — a campaign's first text or one of its follow-ups; an opt-out in it is that
/// campaign's opt-out. In the unit of work that records the text.
/// </summary>
public sealed class CampaignAttribution(CrmDbContext db, IOptions<CampaignOptions> options)
{
    public async Task<IReadOnlyList<CrmEvent>> ApplyAsync(Activity incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var since = incoming.OccurredAt - TimeSpan.FromDays(options.Value.AttributionWindowDays);
        var texts = (
            from r in db.CampaignRecipients
            where r.ContactId == incoming.ContactId
            select new { RecipientId = r.Id, r.ActivityId })
            .Concat(
                from f in db.CampaignFollowUps
                join r in db.CampaignRecipients on f.RecipientId equals r.Id
                where r.ContactId == incoming.ContactId
                select new { f.RecipientId, f.ActivityId });
        var latest = await (
            from t in texts
            join a in db.Activities on t.ActivityId equals a.Id
            where a.SentAt != null && a.SentAt >= since && a.SentAt <= incoming.OccurredAt
            orderby a.SentAt descending
            select (Guid?)t.RecipientId).FirstOrDefaultAsync(cancellationToken);
        if (latest is null || await db.CampaignRecipients.FirstOrDefaultAsync(r => r.Id == latest, cancellationToken) is not { } recipient)
        {
            return [];
        }

        if (recipient.RepliedAt is null)
        {
            recipient.RepliedAt = incoming.OccurredAt;
            recipient.ReplyActivityId = incoming.Id;
        }

        // The opt-outs the ledger records at once; a free-text one held for review counts once staff confirm it.
        if (recipient.OptedOutAt is null && InboundClassifier.Classify(incoming.Body) is { Intent: InboundIntent.OptOut } reading
            && !(reading.Source == ClassificationSource.FreeText && reading.Confidence == OptOutConfidence.Medium))
        {
            recipient.OptedOutAt = incoming.OccurredAt;
        }

        return [new CampaignUpdated(recipient.CampaignId)];
    }
}
