using System.Net.Mail;
using Crm.Data.Events;
using Crm.Data.Phones;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Contacts;

/// <summary>What a caller may set on a contact; null means "leave as is" on update.</summary>
public sealed record ContactChanges(
    string? FirstName = null,
    string? LastName = null,
    string? Company = null,
    string? Email = null,
    string? Phone = null,
    Address? Address = null,
    string? TimeZone = null,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyDictionary<string, string>? CustomFields = null);

/// <summary>A contact as OpenPhone holds it; names are authoritative, missing company and emails keep ours.</summary>
public sealed record OpenPhoneContactFact(
    string OpenPhoneContactId,
    string? FirstName,
    string? LastName,
    string? Company,
    IReadOnlyList<string> Phones,
    IReadOnlyList<string> Emails);

/// <summary>Contact business facts, called the same way from mutations, webhooks and imports.</summary>
/// <remarks>
/// A create that races another create of the same phone loses on the unique index; the unit of work runs it again,
/// and the second run reports the winner as the duplicate.
/// </remarks>
public sealed class ContactOperations(CrmDbContext db, UnitOfWork work, TimeProvider clock, Consent.ConsentLedger consent)
{
    public Task<Contact> CreateAsync(ContactChanges changes, ContactSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return work.RunAsync(async ct =>
        {
            var now = clock.GetUtcNow();
            var contact = new Contact { Source = source, CreatedAt = now, UpdatedAt = now };
            await ApplyAsync(contact, changes, ct);
            await consent.InheritAsync(contact, ct);
            db.Contacts.Add(contact);
            return Change.Of(contact);
        }, cancellationToken);
    }

    public Task<Contact> UpdateAsync(Guid id, ContactChanges changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return work.RunAsync(async ct =>
        {
            var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == id, ct)
                ?? throw new NotFoundException(nameof(Contact), id);
            await ApplyAsync(contact, changes, ct);
            contact.UpdatedAt = clock.GetUtcNow();
            return Change.Of(contact, new ContactUpdated(contact.Id));
        }, cancellationToken);
    }

    /// <summary>Deletes the contact with its conversations and timeline.</summary>
    public Task<Contact> DeleteAsync(Guid id, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == id, ct)
            ?? throw new NotFoundException(nameof(Contact), id);
        db.Contacts.Remove(contact);
        return Change.Of(contact);
    }, cancellationToken);

    /// <summary>
    /// OpenPhone's copy of a contact changed: name, company and email follow it. Matched by OpenPhone's contact id,
    /// then by phone; created when it names a phone we do not know. Null when there is nothing to match or create.
    /// </summary>
    public Task<Contact?> SyncFromOpenPhoneAsync(OpenPhoneContactFact fact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return work.RunAsync(ct => SyncAsync(fact, ct), cancellationToken);
    }

    /// <summary>OpenPhone deleted its copy: our contact and its history stay, only the link goes.</summary>
    public Task<Contact?> UnlinkOpenPhoneContactAsync(string openPhoneContactId, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.OpenPhoneContactId == openPhoneContactId, ct);
        if (contact is null)
        {
            return Change.Of<Contact?>(null);
        }

        contact.OpenPhoneContactId = null;
        contact.UpdatedAt = clock.GetUtcNow();
        return Change.Of<Contact?>(contact, new ContactUpdated(contact.Id));
    }, cancellationToken);

    private async Task<Change<Contact?>> SyncAsync(OpenPhoneContactFact fact, CancellationToken cancellationToken)
    {
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.OpenPhoneContactId == fact.OpenPhoneContactId, cancellationToken);
        var phones = fact.Phones.Select(p => PhoneNumberNormalizer.TryNormalize(p, out var e164) ? e164 : null).OfType<string>().Distinct().ToList();
        if (contact is null && phones.Count > 0)
        {
            contact = await db.Contacts.Where(c => c.Phone != null && phones.Contains(c.Phone)).OrderBy(c => c.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        }

        var now = clock.GetUtcNow();
        if (contact is null)
        {
            if (phones.Count == 0)
            {
                return Change.Of<Contact?>(null);
            }

            contact = new Contact { Phone = phones[0], Source = ContactSource.Webhook, CreatedAt = now };
            await consent.InheritAsync(contact, cancellationToken);
            db.Contacts.Add(contact);
        }

        contact.OpenPhoneContactId = fact.OpenPhoneContactId;
        contact.FirstName = Clean(fact.FirstName);
        contact.LastName = Clean(fact.LastName);
        contact.Company = Clean(fact.Company) ?? contact.Company;
        var email = fact.Emails.Select(e => e.Trim()).FirstOrDefault(e => MailAddress.TryCreate(e, out var parsed) && parsed.Address == e && e.Length <= 254);
        contact.Email = email ?? contact.Email;
        contact.UpdatedAt = now;
        return Change.Of<Contact?>(contact, new ContactUpdated(contact.Id));
    }

    private async Task ApplyAsync(Contact contact, ContactChanges changes, CancellationToken cancellationToken)
    {
        if (changes.Phone is not null)
        {
            contact.Phone = await NormalizeUniquePhoneAsync(contact.Id, changes.Phone, cancellationToken);
        }

        if (changes.Email is not null)
        {
            contact.Email = NormalizeEmail(changes.Email);
        }

        contact.FirstName = Clean(changes.FirstName) ?? (changes.FirstName is null ? contact.FirstName : null);
        contact.LastName = Clean(changes.LastName) ?? (changes.LastName is null ? contact.LastName : null);
        contact.Company = Clean(changes.Company) ?? (changes.Company is null ? contact.Company : null);
        contact.TimeZone = changes.TimeZone is null ? contact.TimeZone : NormalizeTimeZone(changes.TimeZone);
        contact.Address = changes.Address ?? contact.Address;
        if (changes.Tags is not null)
        {
            contact.Tags = [.. changes.Tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
        }

        if (changes.CustomFields is not null)
        {
            contact.CustomFields = new Dictionary<string, string>(changes.CustomFields);
        }
    }

    private async Task<string?> NormalizeUniquePhoneAsync(Guid contactId, string input, CancellationToken cancellationToken)
    {
        if (input.Trim().Length == 0)
        {
            return null;
        }

        if (!PhoneNumberNormalizer.TryNormalize(input, out var phone))
        {
            throw new InvalidPhoneNumberException(input);
        }

        var existing = await db.Contacts.Where(c => c.Phone == phone && c.Id != contactId)
            .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
        return existing is { } id ? throw new DuplicateContactException(id, phone) : phone;
    }

    private static string? NormalizeEmail(string input)
    {
        var email = input.Trim();
        if (email.Length == 0)
        {
            return null;
        }

        return email.Length <= 254 && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email
            ? email
            : throw new InvalidFieldException("email", $"'{input}' is not a valid email address.");
    }

    private static string? NormalizeTimeZone(string input)
    {
        var id = input.Trim();
        if (id.Length == 0)
        {
            return null;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId
            ? zone.Id
            : throw new InvalidFieldException("timeZone", $"'{input}' is not an IANA time zone.");
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
