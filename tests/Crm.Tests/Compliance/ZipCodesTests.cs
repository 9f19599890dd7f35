using Crm.Data.Compliance;
using Crm.Data.Contacts;
using NodaTime;

namespace Crm.Tests.Compliance;

/// <summary>ZIP codes whose place and zone are known apart from the data (named beside each), and how a ZIP ranks among a contact's places.</summary>
public sealed class ZipCodesTests
{
    private static readonly DateTimeZone Business = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Theory]
    [InlineData("02134", "MA", "America/New_York")] // Boston (Allston)
    [InlineData("10001", "NY", "America/New_York")] // Manhattan
    [InlineData("06390", "NY", "America/New_York")] // Fishers Island, NY, inside Connecticut's 063 prefix
    [InlineData("33101", "FL", "America/New_York")] // Miami
    [InlineData("32501", "FL", "America/Chicago")] // Pensacola: the Panhandle west of the Apalachicola
    [InlineData("60601", "IL", "America/Chicago")] // Chicago
    [InlineData("79901", "TX", "America/Denver")] // El Paso
    [InlineData("79830", "TX", "America/Chicago")] // Alpine (Brewster County), in El Paso's split 798 prefix
    [InlineData("80202", "CO", "America/Denver")] // Denver
    [InlineData("85001", "AZ", "America/Phoenix")] // Phoenix: no daylight saving time
    [InlineData("86515", "AZ", "America/Denver")] // Window Rock: the Navajo Nation keeps daylight saving time
    [InlineData("83702", "ID", "America/Boise")] // Boise
    [InlineData("83814", "ID", "America/Los_Angeles")] // Coeur d'Alene: the Idaho Panhandle is Pacific
    [InlineData("90210", "CA", "America/Los_Angeles")] // Beverly Hills
    [InlineData("96813", "HI", "Pacific/Honolulu")] // Honolulu
    [InlineData("99501", "AK", "America/Anchorage")] // Anchorage
    public void AZipGivesItsStateAndZone(string zip, string state, string zone)
    {
        Assert.True(ZipCodes.TryLookup(zip, out var foundState, out var foundZone));
        Assert.Equal((state, zone), (foundState, foundZone));
        Assert.NotNull(DateTimeZoneProviders.Tzdb.GetZoneOrNull(foundZone));
    }

    [Theory]
    [InlineData("02134-1234")]
    [InlineData(" 02134 ")]
    [InlineData("\t02134-1234\n")]
    public void ZipPlusFourAndSurroundingSpaceAreAccepted(string postalCode)
    {
        Assert.True(ZipCodes.TryLookup(postalCode, out var state, out var zone));
        Assert.Equal(("MA", "America/New_York"), (state, zone));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ABCDE")]
    [InlineData("00000")] // no 000 prefix exists
    [InlineData("0213")]
    [InlineData("021345")]
    [InlineData("02134-12")]
    [InlineData("02134 1234")]
    [InlineData("０２１３４")] // full-width digits
    [InlineData("00901")] // San Juan, Puerto Rico: the data has no zone for territories
    [InlineData("79800")] // not in the data, and the 798 prefix spans Central and Mountain: not guessed
    public void AnythingElseIsNotFound(string? postalCode)
    {
        Assert.False(ZipCodes.TryLookup(postalCode, out var state, out var zone));
        Assert.Equal((string.Empty, string.Empty), (state, zone));
    }

    [Fact]
    public void AZipBeatsTheStateOnlyGuess()
    {
        var stateOnly = RecipientPlaces.Of(new Contact { Address = new Address { State = "TX" } }, Business);
        var withZip = RecipientPlaces.Of(new Contact { Address = new Address { State = "TX", PostalCode = "79901" } }, Business);

        Assert.Equal(["America/Chicago", "America/Denver"], stateOnly.Zones.Select(z => z.Id));
        Assert.Equal(["America/Denver"], withZip.Zones.Select(z => z.Id));
        Assert.Equal(TimeZoneSource.Address, withZip.Source);
        Assert.Equal(["TX"], withZip.States);
    }

    [Fact]
    public void AZipBeatsThePhoneButNotTheContactsOwnZone()
    {
        var byZip = RecipientPlaces.Of(new Contact { Phone = "+12125550142", Address = new Address { PostalCode = "85001" } }, Business);
        var own = RecipientPlaces.Of(
            new Contact { Phone = "+12125550142", TimeZone = "America/Los_Angeles", Address = new Address { PostalCode = "85001" } }, Business);

        Assert.Equal(("America/Phoenix", TimeZoneSource.Address), (byZip.Zone.Id, byZip.Source));
        Assert.Equal(["AZ"], byZip.States);
        Assert.Equal(("America/Los_Angeles", TimeZoneSource.Contact), (own.Zone.Id, own.Source));
    }

    [Fact]
    public void WhenTheZipAndTheWrittenStateDisagreeBothStatesRulesApply()
    {
        var place = RecipientPlaces.Of(new Contact { Address = new Address { State = "NY", PostalCode = "02134" } }, Business);

        Assert.Equal(["MA", "NY"], place.States.Order(StringComparer.Ordinal));
        Assert.Equal("America/New_York", place.Zone.Id);
    }

    [Fact]
    public void AFloridaAreaCodeStillAddsFloridaToAZipElsewhere()
    {
        var place = RecipientPlaces.Of(new Contact { Phone = "+18504325550", Address = new Address { PostalCode = "02134" } }, Business);

        Assert.Equal(["FL", "MA"], place.States.Order(StringComparer.Ordinal));
        Assert.Equal(("America/New_York", TimeZoneSource.Address), (place.Zone.Id, place.Source));
    }

    [Fact]
    public void AnUnlistedZipInASplitPrefixLeavesTheZoneToTheState()
    {
        var place = RecipientPlaces.Of(new Contact { Address = new Address { State = "TX", PostalCode = "79800" } }, Business);

        Assert.Equal(["America/Chicago", "America/Denver"], place.Zones.Select(z => z.Id));
        Assert.Equal(TimeZoneSource.Address, place.Source);
    }
}
