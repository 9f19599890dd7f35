using Crm.Data.Conversations;
using Crm.Data.Phones;

namespace Crm.Data.Contacts;

public sealed class Contact
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public string? FirstName { get; set; }

    public string? LastName { get; set; }

    public string? Company { get; set; }

    public string? Email { get; set; }

    /// <summary>E.164; unique when present.</summary>
    public string? Phone { get; set; }

    public Address Address { get; set; } = new();

    /// <summary>IANA zone id, used later for quiet hours.</summary>
    public string? TimeZone { get; set; }

    public List<string> Tags { get; set; } = [];

    /// <summary>
    /// When the contact last texted one of OpenPhone's opt-out keywords (STOP …); null when they may be texted. The send
    /// gate refuses while it is set. The compliance issue replaces it with the consent ledger.
    /// </summary>
    public DateTimeOffset? SmsOptedOutAt { get; set; }

    public Dictionary<string, string> CustomFields { get; set; } = [];

    public ContactSource Source { get; set; } = ContactSource.Manual;

    public string? OpenPhoneContactId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<Conversation> Conversations { get; set; } = [];

    /// <summary>Name when we have one, else the formatted phone, so a list never shows a blank row.</summary>
    public string DisplayName
    {
        get
        {
            var name = $"{FirstName} {LastName}".Trim();
            if (name.Length > 0)
            {
                return name;
            }

            return Phone is null ? Email ?? "Unknown contact" : PhoneNumberNormalizer.Format(Phone);
        }
    }
}

/// <summary>Postal address; every part optional.</summary>
public sealed class Address
{
    public string? Street { get; set; }

    public string? City { get; set; }

    public string? State { get; set; }

    public string? PostalCode { get; set; }
}

public enum ContactSource
{
    Manual,
    Webhook,
    Csv,
    OpenPhone,
    Api,
}
