using NodaTime;

namespace Crm.Data.Compliance;

/// <summary>When a marketing text may reach a recipient: the federal window, the stricter state rules, the business's own.</summary>
/// <remarks>
/// The state rules are one table (<see cref="StateRules"/>), from sending-and-compliance.md §3, which marks several as
/// unconfirmed: correct them here, in one place. "Holidays" are the federal ones, which every state with a holiday rule
/// also keeps; a state's own extra holidays are not known to this table.
/// </remarks>
public static class QuietHours
{
    /// <summary>47 CFR 64.1200(c)(1): not before 8:00 or after 21:00 at the called party's location.</summary>
    public static readonly Window Federal = new(new LocalTime(8, 0), new LocalTime(21, 0));

    private static readonly Dictionary<string, StateRule> StateRules = new(StringComparer.Ordinal)
    {
        ["FL"] = Daily(Hours(8, 20)),
        ["OK"] = Daily(Hours(8, 20)),
        ["WA"] = Daily(Hours(8, 20)),
        ["MD"] = Daily(Hours(8, 20)),
        ["MA"] = Daily(Hours(8, 20)),
        ["NJ"] = Daily(Hours(8, 20)),
        ["AL"] = new(Hours(8, 20), Hours(8, 20), Sunday: null, NoHolidays: true),
        ["LA"] = new(Hours(8, 20), Hours(8, 20), Sunday: null, NoHolidays: true),
        ["MS"] = new(Hours(8, 20), Hours(8, 20), Sunday: null, NoHolidays: false),
        ["CT"] = Daily(Hours(9, 20)),
        ["NV"] = Daily(Hours(9, 20)),
        ["MI"] = Daily(Hours(9, 21)),
        ["MN"] = Daily(Hours(9, 21)),
        ["NM"] = Daily(Hours(9, 21)),
        ["KY"] = Daily(Hours(10, 21)),
        ["TX"] = new(Hours(9, 21), Hours(9, 21), Sunday: Hours(12, 21), NoHolidays: false),
        ["RI"] = new(Hours(9, 18), Hours(10, 17), Sunday: null, NoHolidays: true),
        ["UT"] = Daily(Federal, noHolidays: true),
    };

    /// <summary>The first instant at or after <paramref name="from"/> inside every window that applies; null when none comes within 10 days.</summary>
    public static Instant? NextAllowed(Instant from, RecipientPlace place, Window business)
    {
        ArgumentNullException.ThrowIfNull(place);
        if (IsAllowed(from, place, business))
        {
            return from;
        }

        // A window opens at the start of some day's window in one of the zones: try those, in order.
        var candidates = new SortedSet<Instant>();
        foreach (var zone in place.Zones)
        {
            var today = from.InZone(zone).Date;
            for (var day = 0; day <= 10; day++)
            {
                var date = today.PlusDays(day);
                if (WindowOn(date, place.States, business) is { } window)
                {
                    var opens = zone.AtLeniently(date + window.Start).ToInstant();
                    if (opens > from)
                    {
                        candidates.Add(opens);
                    }
                }
            }
        }

        foreach (var candidate in candidates)
        {
            if (IsAllowed(candidate, place, business))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool IsAllowed(Instant at, RecipientPlace place, Window business)
    {
        ArgumentNullException.ThrowIfNull(place);
        return place.Zones.All(zone =>
        {
            var local = at.InZone(zone).LocalDateTime;
            return WindowOn(local.Date, place.States, business) is { } window && window.Contains(local.TimeOfDay);
        });
    }

    /// <summary>True when 8:00–21:00 holds in every one of the recipient's zones: what a staff reply is warned against.</summary>
    public static bool InFederalHours(Instant at, RecipientPlace place)
    {
        ArgumentNullException.ThrowIfNull(place);
        return place.Zones.All(zone => Federal.Contains(at.InZone(zone).TimeOfDay));
    }

    /// <summary>The narrowest window of the federal rule, the business's and every applying state's on that date; null: none that day.</summary>
    private static Window? WindowOn(LocalDate date, IReadOnlySet<string> states, Window business)
    {
        Window? window = Federal.Intersect(business);
        foreach (var state in states)
        {
            if (window is null)
            {
                break;
            }

            if (StateRules.TryGetValue(state, out var rule))
            {
                window = rule.On(date) is { } stateWindow ? window.Value.Intersect(stateWindow) : null;
            }
        }

        return window;
    }

    private static Window Hours(int start, int end) => new(new LocalTime(start, 0), new LocalTime(end, 0));

    private static StateRule Daily(Window window, bool noHolidays = false) => new(window, window, window, noHolidays);

    /// <summary>A daily window, start inclusive, end exclusive.</summary>
    public readonly record struct Window(LocalTime Start, LocalTime End)
    {
        /// <summary>"09:00-20:00", as <c>Compliance:MarketingHours</c> is written.</summary>
        public static Window Parse(string text) =>
            TryParse(text, out var window) ? window : throw new FormatException($"'{text}' is not a window such as 09:00-20:00.");

        public static bool TryParse(string? text, out Window window)
        {
            var parts = text?.Split('-', 2, StringSplitOptions.TrimEntries) ?? [];
            var pattern = NodaTime.Text.LocalTimePattern.CreateWithInvariantCulture("HH:mm");
            if (parts.Length == 2 && pattern.Parse(parts[0]) is { Success: true } start && pattern.Parse(parts[1]) is { Success: true } end && start.Value < end.Value)
            {
                window = new Window(start.Value, end.Value);
                return true;
            }

            window = default;
            return false;
        }

        public bool Contains(LocalTime time) => time >= Start && time < End;

        public Window? Intersect(Window other)
        {
            var start = Start > other.Start ? Start : other.Start;
            var end = End < other.End ? End : other.End;
            return start < end ? new Window(start, end) : null;
        }
    }

    /// <summary>A state's window on weekdays, Saturdays and Sundays (null: none that day), and whether holidays are closed.</summary>
    private sealed record StateRule(Window Weekday, Window? Saturday, Window? Sunday, bool NoHolidays)
    {
        public Window? On(LocalDate date) => NoHolidays && FederalHolidays.Contains(date) ? null : date.DayOfWeek switch
        {
            IsoDayOfWeek.Saturday => Saturday,
            IsoDayOfWeek.Sunday => Sunday,
            _ => Weekday,
        };
    }
}

/// <summary>The US federal holidays (5 U.S.C. 6103), observed dates.</summary>
public static class FederalHolidays
{
    public static bool Contains(LocalDate date)
    {
        var y = date.Year;
        LocalDate[] days =
        [
            Observed(new LocalDate(y, 1, 1)),
            Nth(y, 1, IsoDayOfWeek.Monday, 3),
            Nth(y, 2, IsoDayOfWeek.Monday, 3),
            Last(y, 5, IsoDayOfWeek.Monday),
            Observed(new LocalDate(y, 6, 19)),
            Observed(new LocalDate(y, 7, 4)),
            Nth(y, 9, IsoDayOfWeek.Monday, 1),
            Nth(y, 10, IsoDayOfWeek.Monday, 2),
            Observed(new LocalDate(y, 11, 11)),
            Nth(y, 11, IsoDayOfWeek.Thursday, 4),
            Observed(new LocalDate(y, 12, 25)),
        ];
        return days.Contains(date);
    }

    /// <summary>A holiday on a Saturday is observed on the Friday before, on a Sunday on the Monday after.</summary>
    private static LocalDate Observed(LocalDate date) => date.DayOfWeek switch
    {
        IsoDayOfWeek.Saturday => date.PlusDays(-1),
        IsoDayOfWeek.Sunday => date.PlusDays(1),
        _ => date,
    };

    private static LocalDate Nth(int year, int month, IsoDayOfWeek day, int n)
    {
        var first = new LocalDate(year, month, 1);
        return first.PlusDays((((int)day - (int)first.DayOfWeek + 7) % 7) + (7 * (n - 1)));
    }

    private static LocalDate Last(int year, int month, IsoDayOfWeek day)
    {
        var last = new LocalDate(year, month, 1).PlusMonths(1).PlusDays(-1);
        return last.PlusDays(-(((int)last.DayOfWeek - (int)day + 7) % 7));
    }
}
