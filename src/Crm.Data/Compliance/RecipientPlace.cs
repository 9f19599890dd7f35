using Crm.Data.Contacts;
using NodaTime;
using PhoneNumbers;

namespace Crm.Data.Compliance;

/// <summary>How a contact's time zone was found, most trusted first.</summary>
public enum TimeZoneSource
{
    /// <summary>The contact's own <c>timeZone</c>.</summary>
    Contact,

    /// <summary>Its address: the ZIP code, or else the state.</summary>
    Address,

    /// <summary>Its phone number's area code and exchange.</summary>
    Phone,

    /// <summary><c>Crm:BusinessTimeZone</c>: nothing better is known.</summary>
    Business,
}

/// <summary>
/// Where a recipient may be: one or more time zones (a text must be allowed in all of them) and the US states whose rules
/// apply (the address's, and an area code's where that state presumes residence).
/// </summary>
public sealed record RecipientPlace(IReadOnlyList<DateTimeZone> Zones, TimeZoneSource Source, IReadOnlySet<string> States)
{
    /// <summary>The zone shown to staff: the only one, or the first of several.</summary>
    public DateTimeZone Zone => Zones[0];
}

/// <summary>Works out <see cref="RecipientPlace"/> offline: the contact's zone, its address, libphonenumber's data, the business zone.</summary>
public static class RecipientPlaces
{
    /// <summary>Florida and Oklahoma presume a number with their area code is a resident's (sending-and-compliance.md §3).</summary>
    private static readonly HashSet<string> AreaCodeStates = ["FL", "OK"];

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private static readonly PhoneNumberToTimeZonesMapper ZonesOfNumbers = PhoneNumberToTimeZonesMapper.GetInstance();
    private static readonly PhoneNumberOfflineGeocoder Geocoder = PhoneNumberOfflineGeocoder.GetInstance();

    public static RecipientPlace Of(Contact contact, DateTimeZone business)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var number = Parse(contact.Phone);
        var phoneState = number is null ? null : UsStates.FromGeocoder(Geocoder.GetDescriptionForNumber(number, Locale.English));
        var addressState = UsStates.Normalize(contact.Address.State);
        var hasZip = ZipCodes.TryLookup(contact.Address.PostalCode, out var zipState, out var zipZoneId);
        HashSet<string> states = [];
        if (addressState is not null)
        {
            states.Add(addressState);
        }

        // A ZIP whose state differs from the written one may be the typo, or the state may be: both states' rules apply.
        if (hasZip)
        {
            states.Add(zipState);
        }

        if (states.Count == 0 && phoneState is not null)
        {
            states.Add(phoneState);
        }

        if (phoneState is not null && AreaCodeStates.Contains(phoneState))
        {
            states.Add(phoneState);
        }

        if (contact.TimeZone is { } id && DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is { } own)
        {
            return new([own], TimeZoneSource.Contact, states);
        }

        if (hasZip && DateTimeZoneProviders.Tzdb.GetZoneOrNull(zipZoneId) is { } zipZone)
        {
            return new([zipZone], TimeZoneSource.Address, states);
        }

        // A state in one zone settles it; a state in several (Texas, Florida …) leaves it to the number, when the number is in it.
        if (addressState is not null && UsStates.Zones(addressState) is { Count: > 0 } stateZones
            && (stateZones.Count == 1 || phoneState != addressState))
        {
            return new([.. stateZones.Select(DateTimeZoneProviders.Tzdb.GetZoneOrNull).OfType<DateTimeZone>()], TimeZoneSource.Address, states);
        }

        var fromNumber = number is null ? [] : ZonesOfNumbers.GetTimeZonesForNumber(number)
            .Where(z => z != ZonesOfNumbers.GetUnknownTimeZone())
            .Select(DateTimeZoneProviders.Tzdb.GetZoneOrNull).OfType<DateTimeZone>().ToList();
        // Toll-free and other numbers with dozens of zones say nothing about where the person is.
        return fromNumber is { Count: > 0 and <= 4 }
            ? new(fromNumber, TimeZoneSource.Phone, states)
            : new([business], TimeZoneSource.Business, states);
    }

    private static PhoneNumber? Parse(string? phone)
    {
        if (phone is null)
        {
            return null;
        }

        try
        {
            return Phones.Parse(phone, "US");
        }
        catch (NumberParseException)
        {
            return null;
        }
    }
}
