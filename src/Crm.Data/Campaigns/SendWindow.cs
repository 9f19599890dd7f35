using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace Crm.Data.Campaigns;

/// <summary>A campaign's daily send window: from <see cref="Start"/> to <see cref="End"/> on the given days, in the business zone.</summary>
public sealed record SendWindow(LocalTime Start, LocalTime End, IReadOnlySet<IsoDayOfWeek> Days, DateTimeZone Zone)
{
    private static readonly LocalTimePattern Pattern = LocalTimePattern.CreateWithInvariantCulture("HH:mm");

    /// <exception cref="InvalidFieldException">A time is not HH:mm, the window is empty, or a day is not 1–7.</exception>
    public static SendWindow Parse(string start, string end, IEnumerable<int> days, DateTimeZone zone)
    {
        var from = Time("window.start", start);
        var to = Time("window.end", end);
        if (to <= from)
        {
            throw new InvalidFieldException("window.end", $"The window must end after it starts ({start}–{end}); a window past midnight is two windows.");
        }

        var set = new HashSet<IsoDayOfWeek>();
        foreach (var day in days)
        {
            if (day is < 1 or > 7)
            {
                throw new InvalidFieldException("window.days", $"{day.ToString(CultureInfo.InvariantCulture)} is not a day of the week: 1 is Monday, 7 Sunday.");
            }

            set.Add((IsoDayOfWeek)day);
        }

        return set.Count == 0 ? throw new InvalidFieldException("window.days", "The window opens on no day.") : new SendWindow(from, to, set, zone);
    }

    public static SendWindow Of(Campaign campaign, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        return Parse(campaign.WindowStart, campaign.WindowEnd, campaign.WindowDays, zone);
    }

    /// <summary>Today's window around <paramref name="now"/>, when it is open now.</summary>
    public (DateTimeOffset Start, DateTimeOffset End)? OpenAt(DateTimeOffset now)
    {
        var local = Instant.FromDateTimeOffset(now).InZone(Zone).LocalDateTime;
        if (!Days.Contains(local.DayOfWeek) || local.TimeOfDay < Start || local.TimeOfDay >= End)
        {
            return null;
        }

        return (At(local.Date, Start), At(local.Date, End));
    }

    /// <summary>The start of the business day <paramref name="now"/> falls in: where the daily caps reset.</summary>
    public DateTimeOffset DayStart(DateTimeOffset now) => Zone.AtStartOfDay(Instant.FromDateTimeOffset(now).InZone(Zone).Date).ToInstant().ToDateTimeOffset();

    // In UTC: PostgreSQL stores only offset 0.
    private DateTimeOffset At(LocalDate date, LocalTime time) => date.At(time).InZoneLeniently(Zone).ToInstant().ToDateTimeOffset();

    private static LocalTime Time(string field, string text) => Pattern.Parse(text) is { Success: true } parsed
        ? parsed.Value
        : throw new InvalidFieldException(field, $"'{text}' is not a time of day as HH:mm.");
}
