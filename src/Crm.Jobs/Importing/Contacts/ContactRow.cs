using System.Globalization;
using System.Net.Mail;
using System.Text;
using Crm.Data.Consent;
using Crm.Data.Phones;

namespace Crm.Jobs.Importing.Contacts;

/// <summary>
/// One record of the file, cleaned: whitespace trimmed and collapsed, names in all capitals or all lower case
/// capitalized, the phone in E.164, the email lower-cased; or the reason it cannot be imported.
/// </summary>
public sealed record ContactRow(int Row)
{
    private static readonly HashSet<string> Suffixes = new(StringComparer.OrdinalIgnoreCase) { "jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x" };
    private static readonly char[] TagSeparators = [',', ';', '|'];

    public string? Reject { get; private set; }

    public string? FirstName { get; private set; }

    public string? LastName { get; private set; }

    public string? Phone { get; private set; }

    public string? Email { get; private set; }

    public string? Street { get; private set; }

    public string? City { get; private set; }

    public string? State { get; private set; }

    public string? PostalCode { get; private set; }

    public string? Company { get; private set; }

    public List<string> Tags { get; } = [];

    public Dictionary<string, string> CustomFields { get; } = new(StringComparer.Ordinal);

    public ConsentStatus? Consent { get; private set; }

    /// <summary>The consent cell as written, for the ledger's evidence.</summary>
    public string? ConsentText { get; private set; }

    /// <summary>Cleans one record; <paramref name="row"/> is its spreadsheet row number.</summary>
    public static ContactRow Parse(int row, string[] record, IReadOnlyList<ContactColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(columns);
        var result = new ContactRow(row);
        if (record.Length > columns.Count && record.Skip(columns.Count).Any(f => !string.IsNullOrWhiteSpace(f)))
        {
            return result.Rejected($"The row has {record.Length} fields; the header has {columns.Count}.");
        }

        string? fullName = null;
        var phoneSeen = false;
        foreach (var column in columns)
        {
            var value = column.Index < record.Length ? Clean(record[column.Index]) : null;
            if (value is null)
            {
                continue;
            }

            switch (column.Field)
            {
                case ContactField.FirstName: result.FirstName ??= Capitalized(value); break;
                case ContactField.LastName: result.LastName ??= Capitalized(value); break;
                case ContactField.FullName: fullName ??= Capitalized(value); break;
                case ContactField.Street: result.Street ??= Capitalized(value); break;
                case ContactField.City: result.City ??= Capitalized(value); break;
                case ContactField.State: result.State ??= value.Length == 2 ? value.ToUpperInvariant() : Capitalized(value); break;
                case ContactField.PostalCode: result.PostalCode ??= value; break;
                case ContactField.Company: result.Company ??= value; break;
                case ContactField.Email: result.Email ??= value.ToLowerInvariant(); break;
                case ContactField.Custom: result.CustomFields.TryAdd(column.Header, value); break;
                case ContactField.Tags:
                    foreach (var tag in value.Split(TagSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!result.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
                        {
                            result.Tags.Add(tag);
                        }
                    }

                    break;
                case ContactField.Consent:
                    result.ConsentText = value;
                    result.Consent = ParseConsent(value);
                    if (result.Consent is null)
                    {
                        return result.Rejected($"The consent value in '{column.Header}' is not one of yes/true/opted in/1 or no/false/opted out/stop.");
                    }

                    break;
                case ContactField.Phone:
                    phoneSeen = true;
                    if (result.Phone is null && PhoneNumberNormalizer.TryNormalize(value, out var e164))
                    {
                        result.Phone = e164;
                    }
                    else
                    {
                        // Every phone but the contact's own is kept, under its column's name.
                        result.CustomFields.TryAdd(column.Header, PhoneNumberNormalizer.TryNormalize(value, out var other) ? other : value);
                    }

                    break;
            }
        }

        if (fullName is not null && result.FirstName is null && result.LastName is null)
        {
            (result.FirstName, result.LastName) = SplitName(fullName);
        }

        return result.Validate(phoneSeen);
    }

    private ContactRow Validate(bool phoneSeen)
    {
        if (phoneSeen && Phone is null)
        {
            return Rejected("No phone number of the row is a possible phone number.");
        }

        if (Email is not null && (Email.Length > 254 || !MailAddress.TryCreate(Email, out var parsed) || parsed.Address != Email))
        {
            return Rejected("The email is not a valid email address.");
        }

        if (Phone is null && Email is null)
        {
            return Rejected("The row has neither a phone number nor an email.");
        }

        var tooLong = new (string Name, string? Value, int Max)[]
        {
            ("first name", FirstName, 100), ("last name", LastName, 100), ("company", Company, 200), ("street", Street, 200),
            ("city", City, 100), ("state", State, 50), ("postal code", PostalCode, 20),
        }.FirstOrDefault(f => f.Value?.Length > f.Max);
        return tooLong.Name is not null ? Rejected($"The {tooLong.Name} is longer than {tooLong.Max} characters.") : this;
    }

    private ContactRow Rejected(string reason)
    {
        Reject = reason;
        return this;
    }

    /// <summary>"John A. Smith Jr." → ("John A.", "Smith Jr."); "Smith, John" → ("John", "Smith"); a single word is a first name.</summary>
    internal static (string? First, string? Last) SplitName(string name)
    {
        var comma = name.IndexOf(',', StringComparison.Ordinal);
        if (comma > 0 && !Suffixes.Contains(name[(comma + 1)..].Trim()))
        {
            var last = name[..comma].Trim();
            var first = name[(comma + 1)..].Trim();
            return (first.Length == 0 ? null : first, last);
        }

        var words = name.Replace(",", " ", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 1)
        {
            return (words[0], null);
        }

        var lastWords = words.Length >= 3 && Suffixes.Contains(words[^1]) ? 2 : 1;
        return (string.Join(' ', words[..^lastWords]), string.Join(' ', words[^lastWords..]));
    }

    private static ConsentStatus? ParseConsent(string value) => value.ToLowerInvariant() switch
    {
        "yes" or "y" or "true" or "1" or "opted in" or "optedin" or "opted_in" or "opt in" or "optin" => ConsentStatus.OptedIn,
        "no" or "n" or "false" or "0" or "opted out" or "optedout" or "opted_out" or "opt out" or "optout" or "stop" => ConsentStatus.OptedOut,
        _ => null,
    };

    /// <summary>Trimmed, runs of whitespace (line breaks in a quoted cell included) made one space; null when blank.</summary>
    private static string? Clean(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = new StringBuilder(value.Length);
        foreach (var c in value.AsSpan().Trim())
        {
            if (!char.IsWhiteSpace(c))
            {
                text.Append(c);
            }
            else if (text[^1] != ' ')
            {
                text.Append(' ');
            }
        }

        return text.ToString();
    }

    /// <summary>"JOHN SMITH" and "john smith" become "John Smith"; a name already in mixed case ("McDonald") is kept.</summary>
    private static string Capitalized(string value)
    {
        var letters = value.Where(char.IsLetter).ToList();
        var oneCase = letters.Count > 0 && (letters.All(char.IsUpper) || letters.All(char.IsLower));
        return oneCase ? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(value.ToLowerInvariant()) : value;
    }
}
