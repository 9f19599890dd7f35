using Crm.Data.Campaigns;
using NodaTime;

namespace Crm.Tests.Campaigns;

/// <summary>When a recurring campaign runs, from its anchor, on chosen instants in Boston.</summary>
public sealed class RecurrenceRuleTests
{
    private static readonly DateTimeZone Boston = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Fact]
    public void AMonthlyRunOnThe31stIsOnTheLastDayOfShorterMonthsAndBackOnThe31stAfter()
    {
        var rule = new RecurrenceRule(RecurrenceFrequency.Monthly, new HashSet<IsoDayOfWeek>(), new LocalDateTime(2027, 1, 31, 10, 0), Boston, null);

        Assert.Equal([Local(2027, 1, 31, 10, 0), Local(2027, 2, 28, 10, 0), Local(2027, 3, 31, 10, 0), Local(2027, 4, 30, 10, 0)], Runs(rule, 4));
    }

    [Fact]
    public void ADailyRunInTheSpringGapMovesByTheGapThatDayOnlyAndTheEndDateIsTheLastRun()
    {
        // 14 March 2027: 02:00 becomes 03:00 in Boston.
        var rule = new RecurrenceRule(RecurrenceFrequency.Daily, new HashSet<IsoDayOfWeek>(), new LocalDateTime(2027, 3, 12, 2, 30), Boston, Local(2027, 3, 15, 2, 30));

        Assert.Equal([Local(2027, 3, 12, 2, 30), Local(2027, 3, 13, 2, 30), Local(2027, 3, 14, 3, 30), Local(2027, 3, 15, 2, 30)], Runs(rule, 10));
    }

    [Fact]
    public void AWeeklyRunOnMondaysAndThursdaysStartsOnTheFirstOfThemAndStaysAtTenAcrossTheFallBack()
    {
        // Scheduled on Tuesday 27 October 2026; 1 November, clocks go back an hour.
        var rule = new RecurrenceRule(RecurrenceFrequency.Weekly, new HashSet<IsoDayOfWeek> { IsoDayOfWeek.Monday, IsoDayOfWeek.Thursday }, new LocalDateTime(2026, 10, 27, 10, 0), Boston, null);

        var runs = Runs(rule, 3);

        Assert.Equal([Local(2026, 10, 29, 10, 0), Local(2026, 11, 2, 10, 0), Local(2026, 11, 5, 10, 0)], runs);
        Assert.Equal([14, 15, 15], runs.Select(r => r.UtcDateTime.Hour));
    }

    private static List<DateTimeOffset> Runs(RecurrenceRule rule, int most)
    {
        var runs = new List<DateTimeOffset>();
        var run = rule.FirstFrom(rule.Anchor.InZoneLeniently(Boston).ToDateTimeOffset());
        while (run is { } at && runs.Count < most)
        {
            runs.Add(at);
            run = rule.Next(at);
        }

        return runs;
    }

    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute) =>
        new LocalDateTime(year, month, day, hour, minute).InZoneLeniently(Boston).ToInstant().ToDateTimeOffset();
}
