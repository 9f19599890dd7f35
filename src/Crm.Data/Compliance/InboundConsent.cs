using Crm.Data.Activities;
using Crm.Data.Audit;
using Crm.Data.Consent;
using Crm.Data.Events;
using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Compliance;

/// <summary>
/// What an incoming text means for consent (<see cref="InboundClassifier"/>), acted on in the unit of work that records
/// the text: the ledger entry, the one confirmation of an opt-out OpenPhone did not handle, the answer to HELP, or a
/// review for staff. Replies go through the outbound pipe, keyed by the text, so a redelivery never sends them twice.
/// </summary>
public sealed class InboundConsent(CrmDbContext db, UnitOfWork work, ConsentLedger ledger, OutboundOperations outbound, AuditLog audit, IOptions<ComplianceOptions> options, TimeProvider clock)
{
    /// <summary>
    /// The CRM answers a HELP or an opt-out it handles only for texts this recent: a reply to a text from last spring,
    /// found by the history import or by a webhook retried after a long outage, would be news to nobody.
    /// </summary>
    public static readonly TimeSpan ReplyWindow = TimeSpan.FromHours(24);

    /// <summary>Called once, when an incoming text is first recorded (by a webhook or the history import); the events to publish.</summary>
    public async Task<IReadOnlyList<CrmEvent>> ApplyAsync(Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var reading = InboundClassifier.Classify(activity.Body);
        var answer = clock.GetUtcNow() - activity.OccurredAt <= ReplyWindow;
        if (reading.Intent == InboundIntent.None)
        {
            return [];
        }

        var contact = db.Contacts.Local.FirstOrDefault(c => c.Id == activity.ContactId)
            ?? await db.Contacts.ForUpdate().FirstAsync(c => c.Id == activity.ContactId, cancellationToken);
        switch (reading)
        {
            case { Intent: InboundIntent.Help }:
                if (answer)
                {
                    await ReplyAsync(activity, options.Value.HelpText, SendPurpose.Help, $"help:{activity.Id}", cancellationToken);
                }

                return [];
            case { Intent: InboundIntent.OptIn }:
                // OpenPhone confirms START and UNSTOP itself.
                return ledger.Append(contact, new ConsentFact(ConsentStatus.OptedIn, ConsentSource.Keyword, activity.OccurredAt, activity.Id, activity.Body));
            case { Intent: InboundIntent.OptOut, Source: ClassificationSource.FreeText, Confidence: OptOutConfidence.Medium }:
                db.OptOutReviews.Add(new OptOutReview
                {
                    ContactId = contact.Id,
                    ActivityId = activity.Id,
                    Score = reading.Score,
                    Reason = reading.Reason,
                    Status = OptOutReviewStatus.Pending,
                    CreatedAt = clock.GetUtcNow(),
                });
                return [new ContactUpdated(contact.Id)];
            default:
                var source = reading.Source == ClassificationSource.Keyword ? ConsentSource.Keyword : ConsentSource.FreeText;
                var events = ledger.Append(contact, new ConsentFact(ConsentStatus.OptedOut, source, activity.OccurredAt, activity.Id, activity.Body));
                if (answer && !reading.HandledByOpenPhone)
                {
                    await ReplyAsync(activity, options.Value.OptOutConfirmationText, SendPurpose.Confirmation, $"confirm:{activity.Id}", cancellationToken);
                }

                return events;
        }
    }

    /// <summary>Staff's decision on a held reply: an opt-out (source REVIEW, confirmed once) or not; audited.</summary>
    public Task<OptOutReview> ResolveReviewAsync(Guid reviewId, OptOutReviewStatus decision, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (decision == OptOutReviewStatus.Pending)
        {
            throw new InvalidFieldException("decision", "Decide OPTED_OUT or KEPT.");
        }

        return work.RunAsync(async ct =>
        {
            var review = await db.OptOutReviews.ForUpdate().FirstOrDefaultAsync(r => r.Id == reviewId, ct)
                ?? throw new NotFoundException(nameof(OptOutReview), reviewId);
            if (review.Status != OptOutReviewStatus.Pending)
            {
                throw new InvalidFieldException("id", $"The review was already decided: {review.Status}.");
            }

            review.Status = decision;
            review.ResolvedAt = clock.GetUtcNow();
            review.ResolvedBy = actor.Name;
            audit.Record(actor, "optout-review.resolved", review.Id.ToString(), $"decision={decision}");
            List<CrmEvent> events = [new ContactUpdated(review.ContactId)];
            if (decision == OptOutReviewStatus.OptedOut)
            {
                var contact = await db.Contacts.ForUpdate().FirstAsync(c => c.Id == review.ContactId, ct);
                var activity = await db.Activities.AsNoTracking().FirstAsync(a => a.Id == review.ActivityId, ct);
                events.AddRange(ledger.Append(contact, new ConsentFact(ConsentStatus.OptedOut, ConsentSource.Review, activity.OccurredAt, activity.Id, activity.Body, $"Reviewed by {actor.Name}"), actor));
                await ReplyAsync(activity, options.Value.OptOutConfirmationText, SendPurpose.Confirmation, $"confirm:{review.Id}", ct);
            }

            return new Change<OptOutReview>(review, events);
        }, cancellationToken);
    }

    /// <summary>Queues the reply; a reply the gate refuses (the opt-out was already confirmed once) is simply not sent.</summary>
    private async Task ReplyAsync(Activity to, string body, SendPurpose purpose, string key, CancellationToken cancellationToken)
    {
        try
        {
            await outbound.EnqueueAsync(new SendRequest(to.ConversationId, null, null, body, key, OutboundPriority.Staff, purpose), cancellationToken);
        }
        catch (DomainException)
        {
            // Refused before anything was written: the text itself and its consent entry still commit.
        }
    }
}
