using Crm.Data.Activities;
using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>
/// A campaign's or a variant's counts. They add up: audience = pending + queued + sent + failed to send + skipped, and
/// sent = delivered + undelivered + awaiting delivery. Replies and opt-outs are of sent texts.
/// </summary>
public sealed record CampaignTally(
    int Audience,
    int Pending,
    int Queued,
    int Sent,
    int Delivered,
    int Undelivered,
    int AwaitingDelivery,
    int FailedToSend,
    int Skipped,
    IReadOnlyDictionary<SkipReason, int> SkippedBy,
    int Replied,
    int OptedOut,
    decimal Cost)
{
    public double ReplyRate => Sent == 0 ? 0 : (double)Replied / Sent;

    public double OptOutRate => Sent == 0 ? 0 : (double)OptedOut / Sent;
}

public sealed record VariantResult(CampaignVariant Variant, CampaignTally Tally);

/// <summary>Sends, deliveries and replies in one hour (UTC), for charts.</summary>
public sealed record HourlyCount(DateTimeOffset Hour, int Sent, int Delivered, int Replied);

/// <summary>
/// The two-proportion z-test of the leading variant's reply rate (or opt-out rate) against the runner-up's, once both
/// have <see cref="Campaign.MinSample"/> sends. <see cref="Confidence"/> is 1 − the two-sided p-value.
/// </summary>
public sealed record VariantTest(string Metric, Guid? LeaderId, double? Z, double? Confidence, bool Significant, string Note);

/// <summary>
/// One follow-up step's counts, over the recipients whose text before it was sent. They add up: total = waiting + due +
/// queued + sent + failed to send + skipped + stopped. <see cref="Replied"/>: sent step texts the contact then replied to.
/// </summary>
public sealed record FollowUpTally(
    FollowUpStep Step,
    int Total,
    int Waiting,
    int Due,
    int Queued,
    int Sent,
    int FailedToSend,
    int Skipped,
    int Stopped,
    int Replied,
    decimal Cost);

public sealed record CampaignResult(
    CampaignTally Total, IReadOnlyList<VariantResult> Variants, IReadOnlyList<HourlyCount> Hourly, VariantTest ReplyTest, VariantTest OptOutTest, IReadOnlyList<FollowUpTally> FollowUps);

/// <summary>
/// Counts a campaign from its recipients and their texts' own status, read in one query: nothing is counted that nothing
/// wrote (the original's stats read statuses no code set).
/// </summary>
public sealed class CampaignResults(CrmDbContext db, TimeProvider clock, IOptions<OutboundOptions> outbound)
{
    public async Task<CampaignResult> OfAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var rows = await (
            from r in db.CampaignRecipients.AsNoTracking()
            where r.CampaignId == campaign.Id
            join a in db.Activities on r.ActivityId equals a.Id into texts
            from a in texts.DefaultIfEmpty()
            select new Row(r.VariantId, r.State, r.SkipReason, a == null ? null : a.OutboundStatus, a == null ? null : a.SentAt, a == null ? null : a.DeliveredAt, a == null ? null : a.Segments, r.RepliedAt, r.OptedOutAt))
            .ToListAsync(cancellationToken);
        var variants = campaign.Variants.OrderBy(v => v.Label, StringComparer.Ordinal).ToList();
        var perVariant = variants.Select(v => new VariantResult(v, Tally(rows.Where(r => r.VariantId == v.Id)))).ToList();
        return new CampaignResult(
            Tally(rows),
            perVariant,
            Hourly(rows),
            Test("replyRate", perVariant, t => t.Replied, campaign),
            Test("optOutRate", perVariant, t => t.OptedOut, campaign),
            await FollowUpsAsync(campaign, cancellationToken));
    }

    private async Task<List<FollowUpTally>> FollowUpsAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        var steps = await db.FollowUpSteps.AsNoTracking().Where(s => s.CampaignId == campaign.Id).OrderBy(s => s.Number).ToListAsync(cancellationToken);
        if (steps.Count == 0)
        {
            return [];
        }

        var rows = await (
            from f in db.CampaignFollowUps.AsNoTracking()
            where f.CampaignId == campaign.Id
            join r in db.CampaignRecipients on f.RecipientId equals r.Id
            join a in db.Activities on f.ActivityId equals a.Id into texts
            from a in texts.DefaultIfEmpty()
            select new StepRow(f.Step, f.State, f.DueAt, a == null ? null : a.OutboundStatus, a == null ? null : a.SentAt, a == null ? null : a.Segments, r.RepliedAt))
            .ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return [.. steps.Select(step =>
        {
            var of = rows.Where(r => r.Step == step.Number).ToList();
            var sent = of.Where(r => r.SentAt is not null).ToList();
            return new FollowUpTally(
                step,
                Total: of.Count,
                Waiting: of.Count(r => r.State == FollowUpState.Pending && r.DueAt > now),
                Due: of.Count(r => r.State == FollowUpState.Pending && r.DueAt <= now),
                Queued: of.Count(r => r.State == FollowUpState.Queued && r.SentAt is null && r.Status is MessageStatus.Queued or MessageStatus.Sending),
                Sent: sent.Count,
                FailedToSend: of.Count(r => r.SentAt is null && r.Status == MessageStatus.Failed),
                Skipped: of.Count(r => r.State == FollowUpState.Skipped || r.Status is MessageStatus.Skipped or MessageStatus.Cancelled),
                Stopped: of.Count(r => r.State == FollowUpState.Stopped),
                // A contact who replied before the step was stopped at it: a first reply after it is a reply to it.
                Replied: sent.Count(r => r.RepliedAt >= r.SentAt),
                Cost: sent.Sum(r => r.Segments ?? 0) * outbound.Value.PricePerSegment);
        })];
    }

    private CampaignTally Tally(IEnumerable<Row> recipients)
    {
        var rows = recipients.ToList();
        var sent = rows.Where(r => r.SentAt is not null).ToList();
        var skipped = rows.Where(r => r.State == RecipientState.Skipped || r.Status is MessageStatus.Skipped or MessageStatus.Cancelled).ToList();
        return new CampaignTally(
            Audience: rows.Count,
            Pending: rows.Count(r => r.State == RecipientState.Pending),
            Queued: rows.Count(r => r.State == RecipientState.Queued && r.SentAt is null && r.Status is MessageStatus.Queued or MessageStatus.Sending),
            Sent: sent.Count,
            Delivered: sent.Count(r => r.Status == MessageStatus.Delivered),
            Undelivered: sent.Count(r => r.Status == MessageStatus.Failed),
            AwaitingDelivery: sent.Count(r => r.Status is not (MessageStatus.Delivered or MessageStatus.Failed)),
            FailedToSend: rows.Count(r => r.SentAt is null && r.Status == MessageStatus.Failed),
            Skipped: skipped.Count,
            SkippedBy: skipped.GroupBy(r => r.SkipReason ?? SkipReason.Refused).ToDictionary(g => g.Key, g => g.Count()),
            Replied: sent.Count(r => r.RepliedAt is not null),
            OptedOut: sent.Count(r => r.OptedOutAt is not null),
            Cost: sent.Sum(r => r.Segments ?? 0) * outbound.Value.PricePerSegment);
    }

    private static List<HourlyCount> Hourly(List<Row> rows)
    {
        static DateTimeOffset Hour(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, at.UtcDateTime.Day, at.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);
        var hours = rows.SelectMany(r => new[] { r.SentAt, r.DeliveredAt, r.RepliedAt }).OfType<DateTimeOffset>().Select(Hour).Distinct().Order();
        return [.. hours.Select(h => new HourlyCount(
            h,
            rows.Count(r => r.SentAt is { } at && Hour(at) == h),
            rows.Count(r => r.DeliveredAt is { } at && Hour(at) == h),
            rows.Count(r => r.RepliedAt is { } at && Hour(at) == h)))];
    }

    /// <summary>The leader against the runner-up: with several variants, the closest comparison decides.</summary>
    private static VariantTest Test(string metric, List<VariantResult> variants, Func<CampaignTally, int> hits, Campaign campaign)
    {
        if (variants.Count < 2)
        {
            return new VariantTest(metric, null, null, null, false, "One variant: nothing to compare.");
        }

        var short_ = variants.Where(v => v.Tally.Sent < campaign.MinSample).Select(v => v.Variant.Label).ToList();
        if (short_.Count > 0)
        {
            return new VariantTest(metric, null, null, null, false, $"Waiting for {campaign.MinSample} sends per variant ({string.Join(", ", short_)} not there yet).");
        }

        var ranked = variants.OrderByDescending(v => (double)hits(v.Tally) / v.Tally.Sent).ToList();
        var (a, b) = (ranked[0].Tally, ranked[1].Tally);
        var (n1, n2) = ((double)a.Sent, (double)b.Sent);
        var pooled = (hits(a) + hits(b)) / (n1 + n2);
        var error = Math.Sqrt(pooled * (1 - pooled) * ((1 / n1) + (1 / n2)));
        if (error == 0)
        {
            return new VariantTest(metric, null, 0, 0, false, "No difference: the variants' rates are the same.");
        }

        var z = ((hits(a) / n1) - (hits(b) / n2)) / error;
        var confidence = 1 - (2 * (1 - NormalCdf(Math.Abs(z))));
        var significant = confidence >= campaign.Confidence;
        return new VariantTest(metric, ranked[0].Variant.Id, z, confidence, significant,
            significant ? $"{ranked[0].Variant.Label} leads at {confidence:P1} confidence." : $"No winner yet: {confidence:P1} confidence, {campaign.Confidence:P0} needed.");
    }

    /// <summary>Φ(x) from erf, by Abramowitz and Stegun 7.1.26 (error below 1.5e-7): .NET has no erf.</summary>
    private static double NormalCdf(double x)
    {
        var t = 1 / (1 + (0.3275911 * Math.Abs(x) / Math.Sqrt(2)));
        var erf = 1 - ((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x / 2);
        return 0.5 * (1 + (x >= 0 ? erf : -erf));
    }

    private sealed record StepRow(int Step, FollowUpState State, DateTimeOffset DueAt, MessageStatus? Status, DateTimeOffset? SentAt, int? Segments, DateTimeOffset? RepliedAt);

    private sealed record Row(Guid VariantId, RecipientState State, SkipReason? SkipReason, MessageStatus? Status, DateTimeOffset? SentAt, DateTimeOffset? DeliveredAt, int? Segments, DateTimeOffset? RepliedAt, DateTimeOffset? OptedOutAt);
}
