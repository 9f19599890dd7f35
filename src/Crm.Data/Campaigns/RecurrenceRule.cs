using NodaTime;

namespace Crm.Data.Campaigns;

/// <summary>
/// When a recurring campaign runs: at its anchor's local time of day in its zone — every day, on the given ISO days, or
/// monthly on the anchor's day of the month (the month's last day when it is shorter) — and none after <see cref="Until"/>.
/// </summary>
/// <remarks>
/// Each run is computed from the anchor, never from the run before, so a time that falls in a DST gap (moved forward by
/// the gap, as NodaTime's lenient mapping does; an hour that repeats is taken the first time) or a clamped 31st does not shift the runs after it.
/// </remarks>
public sealed record RecurrenceRule(RecurrenceFrequency Frequency, IReadOnlySet<IsoDayOfWeek> Days, LocalDateTime Anchor, DateTimeZone Zone, DateTimeOffset? Until)
{
    /// <summary>A monthly run is at most two months after the instant it follows; a year is plenty.</summary>
    private const int Horizon = 366;

    /// <summary>The campaign's rule; its runs are in its own zone, or the business's when it gave none.</summary>
    public static RecurrenceRule Of(Campaign campaign, DateTimeZone businessZone)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var zone = campaign.TimeZone is { } name ? DateTimeZoneProviders.Tzdb[name] : businessZone;
        var anchor = campaign.RecurrenceAnchor ?? campaign.StartAt ?? throw new InvalidOperationException($"Campaign {campaign.Id} recurs but was never scheduled.");
        return new RecurrenceRule(
            campaign.Recurrence ?? throw new InvalidOperationException($"Campaign {campaign.Id} does not recur."),
            campaign.RecurrenceDays.Select(d => (IsoDayOfWeek)d).ToHashSet(),
            Instant.FromDateTimeOffset(anchor).InZone(zone).LocalDateTime,
            zone,
            campaign.RecurrenceUntil);
    }

    /// <summary>The first run at or after <paramref name="from"/> (and not before the anchor); null when it would be after <see cref="Until"/>.</summary>
    public DateTimeOffset? FirstFrom(DateTimeOffset from)
    {
        var date = Instant.FromDateTimeOffset(from).InZone(Zone).Date;
        date = date < Anchor.Date ? Anchor.Date : date;
        for (var day = 0; day < Horizon; day++, date = date.PlusDays(1))
        {
            // In UTC: PostgreSQL stores only offset 0.
            var at = date.At(Anchor.TimeOfDay).InZoneLeniently(Zone).ToInstant().ToDateTimeOffset();
            if (Runs(date) && at >= from)
            {
                return Until is { } until && at > until ? null : at;
            }
        }

        return null;
    }

    /// <summary>The first run after <paramref name="after"/>.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => FirstFrom(after.AddTicks(1));

    /// <summary>The local date a run is on, for its name.</summary>
    public LocalDate DateOf(DateTimeOffset run) => Instant.FromDateTimeOffset(run).InZone(Zone).Date;

    private bool Runs(LocalDate date) => Frequency switch
    {
        RecurrenceFrequency.Daily => true,
        RecurrenceFrequency.Weekly => Days.Contains(date.DayOfWeek),
        _ => date.Day == Math.Min(Anchor.Day, date.Calendar.GetDaysInMonth(date.Year, date.Month)),
    };
}
