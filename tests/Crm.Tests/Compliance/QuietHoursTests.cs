using Crm.Data.Compliance;
using Crm.Data.Contacts;
using NodaTime;

namespace Crm.Tests.Compliance;

/// <summary>Quiet hours in the recipient's own time, on chosen instants (the rules take the clock's time, never read one).</summary>
public sealed class QuietHoursTests
{
    private static readonly DateTimeZone Business = DateTimeZoneProviders.Tzdb["America/New_York"];

    /// <summary>The whole federal window, so the legal edges show; the default business window is narrower.</summary>
    private static readonly QuietHours.Window Wide = QuietHours.Window.Parse("08:00-21:00");

    [Theory]
    [InlineData("+12125550142", "America/New_York")]
    [InlineData("+13125550142", "America/Chicago")]
    [InlineData("+16025550142", "America/Phoenix")]
    [InlineData("+14155550142", "America/Los_Angeles")]
    public void At2059LocalATextGoesAndAt2101ItWaitsForEightTheNextMorning(string phone, string zoneId)
    {
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var place = RecipientPlaces.Of(new Contact { Phone = phone }, Business);

        var at2059 = Local(zone, 2026, 7, 15, 20, 59);
        var at2101 = Local(zone, 2026, 7, 15, 21, 1);

        Assert.Equal((zoneId, TimeZoneSource.Phone), (place.Zone.Id, place.Source));
        Assert.Equal(at2059, QuietHours.NextAllowed(at2059, place, Wide));
        Assert.Equal(Local(zone, 2026, 7, 16, 8, 0), QuietHours.NextAllowed(at2101, place, Wide));
    }

    [Fact]
    public void AFloridaNumberAt2005WaitsForTheMorningEvenWithAnAddressElsewhere()
    {
        var miami = DateTimeZoneProviders.Tzdb["America/New_York"];
        var contact = new Contact { Phone = "+13055550142", Address = new Address { State = "NY" } };
        var place = RecipientPlaces.Of(contact, Business);

        var next = QuietHours.NextAllowed(Local(miami, 2026, 7, 15, 20, 5), place, Wide);

        Assert.Contains("FL", place.States);
        Assert.Contains("NY", place.States);
        Assert.Equal(Local(miami, 2026, 7, 16, 8, 0), next);
    }

    [Fact]
    public void A208NumberIsTextedOnlyInHoursAllowedInBothOfIdahosZones()
    {
        var boise = DateTimeZoneProviders.Tzdb["America/Boise"];
        var place = RecipientPlaces.Of(new Contact { Phone = "+12085550142" }, Business);

        // 8:30 in Boise is 7:30 in Idaho's Pacific north: not yet; 9:00 in Boise is 8:00 there.
        var next = QuietHours.NextAllowed(Local(boise, 2026, 7, 15, 8, 30), place, Wide);
        var evening = QuietHours.NextAllowed(Local(boise, 2026, 7, 15, 20, 59), place, Wide);

        Assert.Equal(["America/Boise", "America/Los_Angeles"], place.Zones.Select(z => z.Id).Order(StringComparer.Ordinal));
        Assert.Equal(Local(boise, 2026, 7, 15, 9, 0), next);
        Assert.Equal(Local(boise, 2026, 7, 15, 20, 59), evening);
    }

    [Fact]
    public void AMassachusettsNumberStopsAt20AsTheStateRequires()
    {
        var eastern = DateTimeZoneProviders.Tzdb["America/New_York"];
        var place = RecipientPlaces.Of(new Contact { Phone = "+16175550142" }, Business);

        Assert.Equal(Local(eastern, 2026, 7, 16, 8, 0), QuietHours.NextAllowed(Local(eastern, 2026, 7, 15, 20, 0), place, Wide));
        Assert.Contains("MA", place.States);
    }

    [Fact]
    public void OnTheDaysTheClocksChangeTheWindowFollowsTheLocalClock()
    {
        var place = RecipientPlaces.Of(new Contact { Phone = "+12125550142" }, Business);
        var eastern = DateTimeZoneProviders.Tzdb["America/New_York"];

        // 8 March 2026: clocks jump from 2:00 to 3:00, so 7:59 local is 11:59 UTC and 8:00 local is 12:00 UTC.
        var spring = QuietHours.NextAllowed(Local(eastern, 2026, 3, 8, 7, 59), place, Wide);
        // 1 November 2026: clocks fall back; 21:01 local waits for 8:00 EST the next day, 13:00 UTC.
        var autumn = QuietHours.NextAllowed(Local(eastern, 2026, 11, 1, 21, 1), place, Wide);

        Assert.Equal(Instant.FromUtc(2026, 3, 8, 12, 0), spring);
        Assert.Equal(Instant.FromUtc(2026, 11, 2, 13, 0), autumn);
    }

    [Fact]
    public void ATexasSundayAt1130WaitsForNoon()
    {
        var central = DateTimeZoneProviders.Tzdb["America/Chicago"];
        var place = RecipientPlaces.Of(new Contact { Phone = "+12145550142", Address = new Address { State = "Texas" } }, Business);

        // 6 December 2026 is a Sunday.
        var next = QuietHours.NextAllowed(Local(central, 2026, 12, 6, 11, 30), place, Wide);

        Assert.Equal(Local(central, 2026, 12, 6, 12, 0), next);
    }

    [Fact]
    public void AlabamaHasNoTextsOnSundaysOrHolidays()
    {
        var central = DateTimeZoneProviders.Tzdb["America/Chicago"];
        var place = RecipientPlaces.Of(new Contact { Phone = "+12055550142", Address = new Address { State = "AL" } }, Business);

        // Christmas 2026 is a Friday: the next text is Saturday at 8:00; from Sunday the 27th, Monday at 8:00.
        var christmas = QuietHours.NextAllowed(Local(central, 2026, 12, 25, 10, 0), place, Wide);
        var sunday = QuietHours.NextAllowed(Local(central, 2026, 12, 27, 10, 0), place, Wide);

        Assert.Equal(Local(central, 2026, 12, 26, 8, 0), christmas);
        Assert.Equal(Local(central, 2026, 12, 28, 8, 0), sunday);
    }

    [Fact]
    public void TheBusinessWindowNarrowsTheLegalOneAndAnExplicitZoneWins()
    {
        var pacific = DateTimeZoneProviders.Tzdb["America/Los_Angeles"];
        var place = RecipientPlaces.Of(new Contact { Phone = "+16175550142", TimeZone = "America/Los_Angeles" }, Business);

        var next = QuietHours.NextAllowed(Local(pacific, 2026, 7, 15, 20, 30), place, QuietHours.Window.Parse("09:00-20:00"));

        Assert.Equal(TimeZoneSource.Contact, place.Source);
        Assert.Equal(Local(pacific, 2026, 7, 16, 9, 0), next);
    }

    [Fact]
    public void ATollFreeNumberFallsBackToTheBusinessZone()
    {
        var place = RecipientPlaces.Of(new Contact { Phone = "+18005550142" }, Business);

        Assert.Equal((TimeZoneSource.Business, "America/New_York"), (place.Source, place.Zone.Id));
    }

    private static Instant Local(DateTimeZone zone, int year, int month, int day, int hour, int minute) =>
        zone.AtStrictly(new LocalDateTime(year, month, day, hour, minute)).ToInstant();
}
