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
/// <see cref="Campaign.PerMinute"/> a minute, so a campaign never bursts at the window's start or after a pause. Due
/// follow-ups take the turns first: they are due at a time, a first text can wait.
/// </summary>
/// <remarks>
/// A recipient (a follow-up step) becomes QUEUED in the same transaction as its text's outbox row, whose idempotency key
/// is the recipient's id (and the step's number): whatever dies when, each is texted once. The campaign's row is locked
/// for its tick, so two instances that both run one (the tick's lease normally lets only one) queue each turn once.
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
    /// <summary>Sequences scheduled per campaign and tick at most: more wait for the next tick.</summary>
    private const int ScheduleBatch = 1_000;

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
        var scheduled = await ScheduleFollowUpsAsync(campaign, cancellationToken);
        var stopped = await StopFollowUpsAsync(campaign, now, cancellationToken);
        var turns = await TurnsAsync(campaign, now, cancellationToken);
        var queued = 0;
        var skipped = 0;
        while (queued < turns.Count)
        {
            var batch = await FollowUpBatchAsync(campaign, turns, queued, cancellationToken);
            if (!batch.Found)
            {
                batch = await RecipientBatchAsync(campaign, turns, queued, cancellationToken);
            }

            if (!batch.Found)
            {
                break;
            }

            (queued, skipped) = (queued + batch.Queued, skipped + batch.Skipped);
            // Written now, so the next batch is the ones after these.
            await db.SaveChangesAsync(cancellationToken);
        }

        var decided = await DeclareWinnerAsync(campaign, now, cancellationToken);
        var completed = await CompleteIfDoneAsync(campaign, now, cancellationToken);
        return queued + skipped + stopped > 0 || scheduled || decided || completed ? Change.Of(queued, new CampaignUpdated(campaign.Id)) : Change.Of(queued);
    }

    /// <summary>The pending recipients due by the turn <paramref name="next"/>, each queued for a turn from there, skipped or deferred.</summary>
    private async Task<Batch> RecipientBatchAsync(Campaign campaign, List<DateTimeOffset> turns, int next, CancellationToken cancellationToken)
    {
        var batch = await db.CampaignRecipients
            .Where(r => r.CampaignId == campaign.Id && r.State == RecipientState.Pending && r.NextTryAt <= turns[next])
            .OrderBy(r => r.Id).Take(Math.Max(turns.Count - next, 20)).ToListAsync(cancellationToken);
        return await QueueAsync(campaign, batch, r => r.ContactId, recipient =>
        {
            var variant = campaign.Variants.FirstOrDefault(v => v.Id == campaign.WinnerVariantId && campaign.AutoWinner)
                ?? campaign.Variants.First(v => v.Id == recipient.VariantId);
            recipient.VariantId = variant.Id;
            return (variant.Body, $"campaign:{recipient.Id}");
        }, turns, next, cancellationToken);
    }

    /// <summary>The pending follow-up steps due by the turn <paramref name="next"/>, as <see cref="RecipientBatchAsync"/> takes recipients.</summary>
    private async Task<Batch> FollowUpBatchAsync(Campaign campaign, List<DateTimeOffset> turns, int next, CancellationToken cancellationToken)
    {
        if (campaign.FollowUps.Count == 0)
        {
            return new Batch(0, 0, false);
        }

        var batch = await db.CampaignFollowUps
            .Where(f => f.CampaignId == campaign.Id && f.State == FollowUpState.Pending && f.NextTryAt <= turns[next])
            .OrderBy(f => f.NextTryAt).ThenBy(f => f.Id).Take(Math.Max(turns.Count - next, 20)).ToListAsync(cancellationToken);
        var ids = batch.Select(f => f.RecipientId).ToList();
        var contactOf = await db.CampaignRecipients.Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.ContactId, cancellationToken);
        return await QueueAsync(campaign, batch, f => contactOf[f.RecipientId],
            f => (campaign.FollowUps.First(s => s.Number == f.Step).Body, $"campaign:{f.RecipientId}:step:{f.Step}"), turns, next, cancellationToken);
    }

    /// <summary>
    /// Each text of <paramref name="batch"/>, in order, for the turns from <paramref name="next"/>: skipped, deferred, or
    /// queued with the template and idempotency key <paramref name="text"/> gives.
    /// </summary>
    private async Task<Batch> QueueAsync<T>(
        Campaign campaign, List<T> batch, Func<T, Guid> contactOf, Func<T, (string Template, string Key)> text, List<DateTimeOffset> turns, int next, CancellationToken cancellationToken)
        where T : ICampaignText
    {
        var (contacts, excluded) = await ContactsAsync(campaign, batch.Select(contactOf), cancellationToken);
        var (queued, skipped) = (0, 0);
        foreach (var item in batch.TakeWhile(_ => next + queued < turns.Count))
        {
            var contact = contacts[contactOf(item)];
            switch (await CheckAsync(campaign, contact, excluded, cancellationToken))
            {
                case { Skip: { } reason } check:
                    item.Skip(reason, check.Note is { Length: > 500 } note ? note[..500] : check.Note);
                    skipped++;
                    break;
                case { DeferUntil: { } until }:
                    item.NextTryAt = until;
                    break;
                default:
                    var (template, key) = text(item);
                    var turn = turns[next + queued++];
                    item.Queue((await EnqueueAsync(campaign, contact, template, key, turn, cancellationToken)).Id, turn);
                    break;
            }
        }

        return new Batch(queued, skipped, batch.Count > 0);
    }

    /// <summary>
    /// The next step of each sequence whose last text was sent (and not reported undelivered), due its delay after that
    /// text; true when there were any.
    /// </summary>
    private async Task<bool> ScheduleFollowUpsAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        if (campaign.FollowUps.Count == 0)
        {
            return false;
        }

        var sent = await FirstTextsSent(campaign).Take(ScheduleBatch).ToListAsync(cancellationToken);
        sent.AddRange(await StepsSent(campaign).Take(ScheduleBatch).ToListAsync(cancellationToken));
        var rows = sent.Select(text =>
        {
            var step = campaign.FollowUps.First(s => s.Number == text.Step + 1);
            var due = text.SentAt + TimeSpan.FromHours(step.DelayHours);
            return new CampaignFollowUp { CampaignId = campaign.Id, RecipientId = text.RecipientId, Step = step.Number, State = FollowUpState.Pending, PreviousSentAt = text.SentAt, DueAt = due, NextTryAt = due };
        }).ToList();
        db.CampaignFollowUps.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        // Read again by the batches: the stop below changes rows in SQL, behind the change tracker.
        rows.ForEach(r => db.Entry(r).State = EntityState.Detached);
        return rows.Count > 0;
    }

    /// <summary>The campaign's first texts sent with no step 1 yet.</summary>
    private IQueryable<SentText> FirstTextsSent(Campaign campaign) =>
        from r in db.CampaignRecipients
        where r.CampaignId == campaign.Id && r.State == RecipientState.Queued && r.Activity!.SentAt != null && r.Activity.OutboundStatus != MessageStatus.Failed
            && !db.CampaignFollowUps.Any(f => f.RecipientId == r.Id && f.Step == 1)
        orderby r.Id
        select new SentText { RecipientId = r.Id, Step = 0, SentAt = r.Activity!.SentAt!.Value };

    /// <summary>The campaign's follow-ups sent, but for the last step, with no next step yet.</summary>
    private IQueryable<SentText> StepsSent(Campaign campaign)
    {
        var last = campaign.FollowUps.Count;
        return from f in db.CampaignFollowUps
               where f.CampaignId == campaign.Id && f.Step < last && f.State == FollowUpState.Queued && f.Activity!.SentAt != null && f.Activity.OutboundStatus != MessageStatus.Failed
                   && !db.CampaignFollowUps.Any(n => n.RecipientId == f.RecipientId && n.Step == f.Step + 1)
               orderby f.Id
               select new SentText { RecipientId = f.RecipientId, Step = f.Step, SentAt = f.Activity!.SentAt!.Value };
    }

    /// <summary>
    /// Ends the sequence of every contact who replied or opted out since the text before their next step: any text from
    /// them counts, whichever campaign it was attributed to. How many steps it stopped.
    /// </summary>
    private async Task<int> StopFollowUpsAsync(Campaign campaign, DateTimeOffset now, CancellationToken cancellationToken) =>
        campaign.FollowUps.Count == 0 ? 0 : await db.CampaignFollowUps
            .Where(f => f.CampaignId == campaign.Id && f.State == FollowUpState.Pending && db.CampaignRecipients.Any(r => r.Id == f.RecipientId
                && (r.RepliedAt != null || r.OptedOutAt != null
                    || db.Activities.Any(a => a.ContactId == r.ContactId && a.Kind == ActivityKind.Message && a.Direction == ActivityDirection.Incoming && a.OccurredAt > f.PreviousSentAt))))
            .ExecuteUpdateAsync(u => u.SetProperty(f => f.State, FollowUpState.Stopped).SetProperty(f => f.StoppedAt, now), cancellationToken);

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
        // First texts and follow-ups alike take turns and count against the caps.
        var today = db.CampaignRecipients.Where(r => r.QueuedAt >= dayStart).Select(r => new { r.CampaignId, r.QueuedAt })
            .Concat(db.CampaignFollowUps.Where(f => f.QueuedAt >= dayStart).Select(f => new { f.CampaignId, f.QueuedAt }));
        var onLine = await (
            from t in today
            join c in db.Campaigns on t.CampaignId equals c.Id
            where c.PhoneNumberId == campaign.PhoneNumberId
            select t.QueuedAt).CountAsync(cancellationToken);
        var mine = await today.Where(t => t.CampaignId == campaign.Id)
            .GroupBy(_ => 1).Select(g => new { Count = g.Count(), Last = g.Max(t => t.QueuedAt) }).FirstOrDefaultAsync(cancellationToken);
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

    /// <summary>The contacts of a batch, and those of them the campaign rules exclude now.</summary>
    private async Task<(Dictionary<Guid, Contact> Contacts, Dictionary<Guid, SkipReason> Excluded)> ContactsAsync(Campaign campaign, IEnumerable<Guid> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.ToList();
        var contacts = await db.Contacts.Where(c => wanted.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
        var excluded = await eligibility.ExcludedAsync([.. contacts.Values.Select(c => new AudienceMember(c.Id, c.Phone, c.SmsConsent.Status, c.Tags))], campaign.ConsentAttested, cancellationToken);
        return (contacts, excluded);
    }

    /// <summary>Whether the campaign rules and the send gate let the campaign text <paramref name="contact"/> now: a skip, a deferral, or neither.</summary>
    private async Task<Check> CheckAsync(Campaign campaign, Contact contact, Dictionary<Guid, SkipReason> excluded, CancellationToken cancellationToken)
    {
        if (excluded.TryGetValue(contact.Id, out var reason))
        {
            return new Check(reason, null, null);
        }

        var decision = await gate.DecideAsync(contact, SendPurpose.Marketing, campaign.ConsentAttested, null, cancellationToken);
        return decision switch
        {
            { Verdict: GateVerdict.Refuse } => new Check(decision.OptedOutSince is null ? SkipReason.Refused : SkipReason.OptedOut, string.Join(" ", decision.Reasons), null),
            { Verdict: GateVerdict.Defer, Holds: var holds } when holds.HasFlag(GateHolds.ReviewPending) || holds.HasFlag(GateHolds.Cap) =>
                new Check(holds.HasFlag(GateHolds.ReviewPending) ? SkipReason.ReviewPending : SkipReason.FrequencyCap, string.Join(" ", decision.Reasons), null),
            // The recipient's quiet hours: their turn comes when their hours open, inside a window then.
            { Verdict: GateVerdict.Defer } => new Check(null, null, decision.DeferUntil!.Value),
            _ => new Check(null, null, null),
        };
    }

    /// <summary>The template rendered for the contact, queued for <paramref name="turn"/> under <paramref name="key"/>.</summary>
    private async Task<Activity> EnqueueAsync(Campaign campaign, Contact contact, string template, string key, DateTimeOffset turn, CancellationToken cancellationToken)
    {
        var body = await messages.RenderAsync(template, contact, cancellationToken);
        return await outbound.EnqueueAsync(
            new SendRequest(null, contact.Id, campaign.PhoneNumberId, body, key, OutboundPriority.Bulk, SendPurpose.Marketing, campaign.ConsentAttested, turn),
            cancellationToken);
    }

    /// <summary>
    /// Done when nobody waits for a turn, every queued text has left (or ended), and every sequence is done or stopped:
    /// COMPLETED.
    /// </summary>
    private async Task<bool> CompleteIfDoneAsync(Campaign campaign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var waiting = await db.CampaignRecipients.AnyAsync(
            r => r.CampaignId == campaign.Id && (r.State == RecipientState.Pending
                || (r.State == RecipientState.Queued && (r.Activity!.OutboundStatus == MessageStatus.Queued || r.Activity.OutboundStatus == MessageStatus.Sending))),
            cancellationToken)
            || (campaign.FollowUps.Count > 0 && (await db.CampaignFollowUps.AnyAsync(
                f => f.CampaignId == campaign.Id && (f.State == FollowUpState.Pending
                    || (f.State == FollowUpState.Queued && (f.Activity!.OutboundStatus == MessageStatus.Queued || f.Activity.OutboundStatus == MessageStatus.Sending))),
                cancellationToken)
                // A text sent since this tick scheduled the next steps.
                || await FirstTextsSent(campaign).AnyAsync(cancellationToken) || await StepsSent(campaign).AnyAsync(cancellationToken)));
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

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>What a batch did; <see cref="Found"/>: it had any to look at.</summary>
    private sealed record Batch(int Queued, int Skipped, bool Found);

    /// <summary>What the rules say of one text: skip it (why), try again at <see cref="DeferUntil"/>, or neither: send it.</summary>
    private sealed record Check(SkipReason? Skip, string? Note, DateTimeOffset? DeferUntil);

    /// <summary>A campaign text sent: step 0 (the first text) or a follow-up's.</summary>
    private sealed class SentText
    {
        public Guid RecipientId { get; init; }

        public int Step { get; init; }

        public DateTimeOffset SentAt { get; init; }
    }
}
