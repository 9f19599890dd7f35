using Crm.Data.Activities;
using Crm.Data.Consent;
using Microsoft.EntityFrameworkCore;
using NodaTime;

namespace Crm.Data.Reporting;

/// <summary>The dashboard's numbers for one business day, periods counted from its local midnights.</summary>
public sealed record Dashboard(
    DateTimeOffset ComputedAt,
    string TimeZone,
    DashboardPeriod Today,
    DashboardPeriod Last7Days,
    DashboardPeriod Last30Days,
    int Unread,
    IReadOnlyList<DayCount> TextsPerDay);

public sealed record DashboardPeriod(DateTimeOffset From, int NewConversations, int TextsIn, int TextsOut, int Contacted, int Replied, int OptOuts, int CampaignDeliveries)
{
    /// <summary>Of the conversations texted in the period, the share that answered after the first of those texts.</summary>
    public double? ReplyRate => Contacted == 0 ? null : (double)Replied / Contacted;
}

/// <summary>One local day (yyyy-MM-dd in the business time zone).</summary>
public sealed record DayCount(string Date, int TextsIn, int TextsOut);

public static class DashboardStats
{
    public const int Days = 30;

    /// <summary>
    /// Five reads whatever the periods: each fetches the last 30 days' timestamps of one kind, and the periods and days
    /// are counted from them here, the same way on PostgreSQL and SQLite (no time-zone arithmetic in SQL).
    /// </summary>
    public static async Task<Dashboard> ComputeAsync(CrmDbContext db, DateTimeOffset now, DateTimeZone zone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(zone);
        var today = Instant.FromDateTimeOffset(now).InZone(zone).Date;
        // In UTC: Npgsql writes only offset-zero values to timestamptz.
        DateTimeOffset StartOf(LocalDate day) => zone.AtStartOfDay(day).ToInstant().ToDateTimeOffset();
        var from = StartOf(today.PlusDays(-(Days - 1)));

        // What went out: OpenPhone took it. Queued, refused, cancelled and failed texts never reached anyone.
        var texts = await db.Activities.AsNoTracking()
            .Where(a => a.Kind == ActivityKind.Message && a.OccurredAt >= from)
            .Where(a => a.Direction == ActivityDirection.Incoming
                || a.OutboundStatus == null || a.OutboundStatus == MessageStatus.Sent || a.OutboundStatus == MessageStatus.Delivered)
            .Select(a => new Text(a.ConversationId, a.Direction == ActivityDirection.Incoming, a.OccurredAt))
            .ToListAsync(cancellationToken);
        var conversations = await db.Conversations.AsNoTracking().Where(c => c.CreatedAt >= from).Select(c => c.CreatedAt).ToListAsync(cancellationToken);
        var optOuts = await db.ConsentEntries.AsNoTracking()
            .Where(e => e.Status == ConsentStatus.OptedOut && e.At >= from)
            .Select(e => new OptOut(e.ContactId, e.Phone, e.At))
            .ToListAsync(cancellationToken);
        var deliveries = await db.CampaignRecipients.AsNoTracking()
            .Where(r => r.Activity!.DeliveredAt >= from)
            .Select(r => r.Activity!.DeliveredAt!.Value)
            .ToListAsync(cancellationToken);
        var unread = await db.Conversations.AsNoTracking().CountAsync(c => c.UnreadCount > 0, cancellationToken);

        DashboardPeriod Period(LocalDate first)
        {
            var start = StartOf(first);
            var inPeriod = texts.Where(t => t.At >= start).ToList();
            var firstOut = inPeriod.Where(t => !t.Incoming).GroupBy(t => t.ConversationId).ToDictionary(g => g.Key, g => g.Min(t => t.At));
            var replied = inPeriod.Where(t => t.Incoming && firstOut.TryGetValue(t.ConversationId, out var sent) && t.At > sent)
                .Select(t => t.ConversationId).Distinct().Count();
            return new DashboardPeriod(
                start,
                conversations.Count(at => at >= start),
                inPeriod.Count(t => t.Incoming),
                inPeriod.Count(t => !t.Incoming),
                firstOut.Count,
                replied,
                // A number that says STOP twice has opted out once.
                optOuts.Where(o => o.At >= start).Select(o => o.ContactId?.ToString() ?? o.Phone).Distinct().Count(),
                deliveries.Count(at => at >= start));
        }

        var perDay = texts.GroupBy(t => Instant.FromDateTimeOffset(t.At).InZone(zone).Date)
            .ToDictionary(g => g.Key, g => (In: g.Count(t => t.Incoming), Out: g.Count(t => !t.Incoming)));
        var days = Enumerable.Range(0, Days).Select(i => today.PlusDays(i - (Days - 1)))
            .Select(d => perDay.TryGetValue(d, out var n) ? new DayCount(Iso(d), n.In, n.Out) : new DayCount(Iso(d), 0, 0))
            .ToList();
        return new Dashboard(now, zone.Id, Period(today), Period(today.PlusDays(-6)), Period(today.PlusDays(-(Days - 1))), unread, days);
    }

    private static string Iso(LocalDate day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Text(Guid ConversationId, bool Incoming, DateTimeOffset At);

    private sealed record OptOut(Guid? ContactId, string? Phone, DateTimeOffset At);
}
