using Crm.Data.Activities;
using Crm.Data.Compliance;
using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>
/// An incoming text is the reply to the most recent campaign text its contact was sent within
/// <c>Campaigns:AttributionWindowDays</c>; an opt-out in it is that campaign's opt-out. In the unit of work that records the text.
/// </summary>
public sealed class CampaignAttribution(CrmDbContext db, IOptions<CampaignOptions> options)
{
    public async Task<IReadOnlyList<CrmEvent>> ApplyAsync(Activity incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var since = incoming.OccurredAt - TimeSpan.FromDays(options.Value.AttributionWindowDays);
        var recipient = await (
            from r in db.CampaignRecipients
            join a in db.Activities on r.ActivityId equals a.Id
            where r.ContactId == incoming.ContactId && a.SentAt != null && a.SentAt >= since && a.SentAt <= incoming.OccurredAt
            orderby a.SentAt descending
            select r).FirstOrDefaultAsync(cancellationToken);
        if (recipient is null)
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
