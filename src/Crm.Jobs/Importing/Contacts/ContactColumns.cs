using System.Text.RegularExpressions;

namespace Crm.Jobs.Importing.Contacts;

/// <summary>What a column of the file fills in a contact.</summary>
public enum ContactField
{
    Ignore,
    FirstName,
    LastName,
    FullName,
    Phone,
    Email,
    Street,
    City,
    State,
    PostalCode,
    Company,
    Tags,
    Consent,
    Custom,
}

/// <summary>A column of the file and what it fills; <see cref="Header"/> is the custom field's key.</summary>
public sealed record ContactColumn(int Index, string Header, ContactField Field);

/// <summary>
/// Maps a file's header row to contact fields: by synonyms, whatever their case, spaces, underscores, hyphens and
/// dots ("First Name", "first_name", "FIRSTNAME"), with an explicit mapping (header → field) taking precedence.
/// A header that names nothing known becomes a custom field under its own name.
/// </summary>
public static partial class ContactColumns
{
    private static readonly Dictionary<string, ContactField> Synonyms = Table(
        (ContactField.FirstName, "firstname first givenname fname"),
        (ContactField.LastName, "lastname last surname familyname lname"),
        (ContactField.FullName, "name fullname contactname ownername owner"),
        (ContactField.Email, "email emailaddress mail"),
        (ContactField.Street, "street address streetaddress address1 addressline1 mailingaddress propertyaddress"),
        (ContactField.City, "city town"),
        (ContactField.State, "state province st"),
        (ContactField.PostalCode, "zip zipcode postalcode postcode postal"),
        (ContactField.Company, "company companyname organization organisation business"),
        (ContactField.Tags, "tags tag labels"),
        (ContactField.Consent, "consent smsconsent textconsent optin optedin smsoptin"));

    /// <summary>The targets an explicit mapping may name (its values), as the README lists them.</summary>
    private static readonly Dictionary<string, ContactField> Targets = Table(
        (ContactField.FirstName, "firstname"), (ContactField.LastName, "lastname"), (ContactField.FullName, "fullname"),
        (ContactField.Phone, "phone"), (ContactField.Email, "email"), (ContactField.Street, "street"), (ContactField.City, "city"),
        (ContactField.State, "state"), (ContactField.PostalCode, "postalcode zip"), (ContactField.Company, "company"),
        (ContactField.Tags, "tags"), (ContactField.Consent, "consent"), (ContactField.Custom, "custom"), (ContactField.Ignore, "ignore"));

    /// <summary>The columns of <paramref name="header"/>; refuses a mapping to an unknown field or column, and a file with neither phone nor email.</summary>
    /// <exception cref="InvalidCsvFileException">The mapping or the header cannot give a contact.</exception>
    public static IReadOnlyList<ContactColumn> Resolve(IReadOnlyList<string> header, IReadOnlyDictionary<string, string>? mapping)
    {
        ArgumentNullException.ThrowIfNull(header);
        var explicitFields = new Dictionary<string, ContactField>(StringComparer.Ordinal);
        foreach (var (column, target) in mapping ?? new Dictionary<string, string>())
        {
            if (!Targets.TryGetValue(Key(target), out var field))
            {
                throw new InvalidCsvFileException($"The mapping of '{column}' names an unknown field '{target}'; use one of: {string.Join(", ", Targets.Keys)}.");
            }

            if (!header.Any(h => Key(h) == Key(column)))
            {
                throw new InvalidCsvFileException($"The mapping names a column '{column}' that the file's header does not have.");
            }

            explicitFields[Key(column)] = field;
        }

        var columns = header.Select((h, i) => new ContactColumn(i, h.Trim(), explicitFields.TryGetValue(Key(h), out var field) ? field : Guess(h))).ToList();
        if (!columns.Any(c => c.Field is ContactField.Phone or ContactField.Email))
        {
            var found = string.Join(", ", header.Take(10).Select(h => $"'{h}'"));
            throw new InvalidCsvFileException($"The file has no phone or email column (its header: {found}). Map one, or check the delimiter (comma, semicolon or tab).");
        }

        return columns;
    }

    private static ContactField Guess(string header)
    {
        var key = Key(header);
        if (Synonyms.TryGetValue(key, out var field))
        {
            return field;
        }

        return key.Length == 0 ? ContactField.Ignore : PhoneHeader().IsMatch(key) ? ContactField.Phone : ContactField.Custom;
    }

    private static Dictionary<string, ContactField> Table(params (ContactField Field, string Keys)[] rows) =>
        rows.SelectMany(r => r.Keys.Split(' ').Select(key => (Key: key, r.Field))).ToDictionary(p => p.Key, p => p.Field, StringComparer.Ordinal);

    private static string Key(string header) =>
        string.Concat(header.Trim().TrimStart('\uFEFF').Where(c => c is not (' ' or '_' or '-' or '.'))).ToLowerInvariant();

    /// <summary>"Phone", "Phone 2", "Mobile Phone", "cell1", "Home Phone", "Telephone" …</summary>
    [GeneratedRegex("^(primary|home|work|office|other|owner|contact)?(phone|phonenumber|mobile|mobilephone|mobilenumber|cell|cellphone|cellnumber|telephone|tel|landline|wireless)[0-9]*$")]
    private static partial Regex PhoneHeader();
}
