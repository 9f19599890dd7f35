using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Events;
using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>
/// Each tick, queues the texts of running campaigns for the turns until the next tick, through the outbound pipe and its
/// send gate. A campaign's turns spread what is left of today's cap evenly over what is left of today's window, at most
/// <see cref="Campaign.PerMinute"/> a minute, so a campaign never bursts at the window's start or after a pause.
/// </summary>
/// <remarks>
/// A recipient becomes QUEUED in the same transaction as its text's outbox row, whose idempotency key is the recipient's
/// id: whatever dies when, a recipient is texted once. The campaign's row is locked for its tick, so two instances that
/// both run one (the tick's lease normally lets only one) queue each turn once.
/// </remarks>
public sealed class CampaignDispatcher(
    CrmDbContext db,
    UnitOfWork work,
    TimeProvider clock,
    SendGate gate,
    OutboundOperations outbound,
    CampaignEligibility eligibility,
    CampaignMessages messages,
    CampaignResults results,
    IOptions<CampaignOptions> options)
{
    /// <summary>One tick for every running campaign; how many texts it queued.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        var running = await db.Campaigns.AsNoTracking().Where(c => c.Status == CampaignStatus.Running).OrderBy(c => c.StartedAt).Select(c => c.Id).ToListAsync(cancellationToken);
        var queued = 0;
        foreach (var id in running)
        {
            queued += await work.RunAsync(ct => DispatchAsync(id, ct), cancellationToken);
        }

        return queued;
    }

    private async Task<Change<int>> DispatchAsync(Guid id, CancellationToken cancellationToken)
    {
        var campaign = await db.LockCampaignAsync(id, cancellationToken);
        if (campaign is not { Status: CampaignStatus.Running })
        {
            return Change.Of(0);
        }

        var now = clock.GetUtcNow();
        var turns = await TurnsAsync(campaign, now, cancellationToken);
        var queued = 0;
        var skipped = 0;
        while (queued < turns.Count)
        {
            var batch = await db.CampaignRecipients
                .Where(r => r.CampaignId == campaign.Id && r.State == RecipientState.Pending && r.NextTryAt <= turns[queued])
                .OrderBy(r => r.Id).Take(Math.Max(turns.Count - queued, 20)).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }

            var contacts = await db.Contacts.Where(c => batch.Select(r => r.ContactId).Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
            var excluded = await eligibility.ExcludedAsync([.. contacts.Values.Select(c => new AudienceMember(c.Id, c.Phone, c.SmsConsent.Status, c.Tags))], campaign.ConsentAttested, cancellationToken);
            foreach (var recipient in batch)
            {
                if (queued == turns.Count)
                {
                    break;
                }

                if (await QueueAsync(campaign, recipient, contacts[recipient.ContactId], excluded, turns[queued], cancellationToken))
                {
                    queued++;
                }
                else
                {
                    skipped += recipient.State == RecipientState.Skipped ? 1 : 0;
                }
            }

            // Written now, so the next batch is the recipients after these.
            await db.SaveChangesAsync(cancellationToken);
        }

        var decided = await DeclareWinnerAsync(campaign, now, cancellationToken);
        var completed = await CompleteIfDoneAsync(campaign, now, cancellationToken);
        return queued + skipped > 0 || decided || completed ? Change.Of(queued, new CampaignUpdated(campaign.Id)) : Change.Of(queued);
    }

    /// <summary>With <see cref="Campaign.AutoWinner"/>, the variant the reply-rate test picks takes every send from now on.</summary>
    private async Task<bool> DeclareWinnerAsync(Campaign campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!campaign.AutoWinner || campaign.WinnerVariantId is not null || campaign.Variants.Count < 2)
        {
            return false;
        }

        var test = (await results.OfAsync(campaign, cancellationToken)).ReplyTest;
        if (!test.Significant)
        {
            return false;
        }

        campaign.WinnerVariantId = test.LeaderId;
        campaign.UpdatedAt = now;
        db.CampaignEvents.Add(new CampaignEvent { CampaignId = campaign.Id, At = now, Kind = "winner", Detail = test.Note, Actor = "system" });
        return true;
    }

    /// <summary>
    /// The turns of this tick: from the last turn taken today (or the window's opening), each spaced by what is left of
    /// the window over what is left of the cap, and no closer than the per-minute rate allows. None outside the window.
    /// </summary>
    private async Task<List<DateTimeOffset>> TurnsAsync(Campaign campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var window = SendWindow.Of(campaign, gate.BusinessZone);
        if (window.OpenAt(now) is not var (start, end))
        {
            return [];
        }

        var dayStart = window.DayStart(now);
        var onLine = await (
            from r in db.CampaignRecipients
            join c in db.Campaigns on r.CampaignId equals c.Id
            where c.PhoneNumberId == campaign.PhoneNumberId && r.QueuedAt >= dayStart
            select r.QueuedAt).CountAsync(cancellationToken);
        var mine = await db.CampaignRecipients.Where(r => r.CampaignId == campaign.Id && r.QueuedAt >= dayStart)
            .GroupBy(_ => 1).Select(g => new { Count = g.Count(), Last = g.Max(r => r.QueuedAt) }).FirstOrDefaultAsync(cancellationToken);
        var left = Math.Min(options.Value.DailyCap - onLine, (campaign.DailyCap ?? int.MaxValue) - (mine?.Count ?? 0));
        var horizon = now + options.Value.Tick;
        var closest = TimeSpan.FromMinutes(1) / campaign.PerMinute;
        var turns = new List<DateTimeOffset>();
        var last = mine?.Last;
        while (turns.Count < left)
        {
            var spacing = last is { } previous ? Max((end - previous) / (left - turns.Count + 1), closest) : TimeSpan.Zero;
            var next = Max((last ?? start) + spacing, now);
            if (next >= horizon || next >= end)
            {
                break;
            }

            turns.Add(next);
            last = next;
        }

        return turns;
    }

    /// <summary>Queues the recipient's text for <paramref name="turn"/>, or skips or defers the recipient; true when queued.</summary>
    private async Task<bool> QueueAsync(Campaign campaign, CampaignRecipient recipient, Contact contact, Dictionary<Guid, SkipReason> excluded, DateTimeOffset turn, CancellationToken cancellationToken)
    {
        if (excluded.TryGetValue(contact.Id, out var reason))
        {
            Skip(recipient, reason, null);
            return false;
        }

        var decision = await gate.DecideAsync(contact, SendPurpose.Marketing, campaign.ConsentAttested, null, cancellationToken);
        switch (decision)
        {
            case { Verdict: GateVerdict.Refuse }:
                Skip(recipient, decision.OptedOutSince is null ? SkipReason.Refused : SkipReason.OptedOut, string.Join(" ", decision.Reasons));
                return false;
            case { Verdict: GateVerdict.Defer, Holds: var holds } when holds.HasFlag(GateHolds.ReviewPending) || holds.HasFlag(GateHolds.Cap):
                Skip(recipient, holds.HasFlag(GateHolds.ReviewPending) ? SkipReason.ReviewPending : SkipReason.FrequencyCap, string.Join(" ", decision.Reasons));
                return false;
            case { Verdict: GateVerdict.Defer }:
                // The recipient's quiet hours: their turn comes when their hours open, inside a window then.
                recipient.NextTryAt = decision.DeferUntil!.Value;
                return false;
        }

        var variant = campaign.Variants.FirstOrDefault(v => v.Id == campaign.WinnerVariantId && campaign.AutoWinner)
            ?? campaign.Variants.First(v => v.Id == recipient.VariantId);
        var body = await messages.RenderAsync(variant.Body, contact, cancellationToken);
        var activity = await outbound.EnqueueAsync(
            new SendRequest(null, contact.Id, campaign.PhoneNumberId, body, $"campaign:{recipient.Id}", OutboundPriority.Bulk, SendPurpose.Marketing, campaign.ConsentAttested, turn),
            cancellationToken);
        recipient.VariantId = variant.Id;
        recipient.State = RecipientState.Queued;
        recipient.ActivityId = activity.Id;
        recipient.QueuedAt = turn;
        return true;
    }

    /// <summary>Done when nobody waits for a turn and every queued text has left (or ended): COMPLETED.</summary>
    private async Task<bool> CompleteIfDoneAsync(Campaign campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var waiting = await db.CampaignRecipients.AnyAsync(
            r => r.CampaignId == campaign.Id && (r.State == RecipientState.Pending
                || (r.State == RecipientState.Queued && (r.Activity!.OutboundStatus == MessageStatus.Queued || r.Activity.OutboundStatus == MessageStatus.Sending))),
            cancellationToken);
        // Recipients this tick queued or deferred are still PENDING in the database: done at the next tick at the earliest.
        if (waiting)
        {
            return false;
        }

        campaign.Status = CampaignStatus.Completed;
        campaign.FinishedAt = now;
        campaign.UpdatedAt = now;
        db.CampaignEvents.Add(new CampaignEvent { CampaignId = campaign.Id, At = now, Kind = "completed", Actor = "system" });
        return true;
    }

    private static void Skip(CampaignRecipient recipient, SkipReason reason, string? note)
    {
        recipient.State = RecipientState.Skipped;
        recipient.SkipReason = reason;
        recipient.SkipNote = note is { Length: > 500 } ? note[..500] : note;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
