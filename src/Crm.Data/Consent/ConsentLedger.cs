using Crm.Data.Audit;
using Crm.Data.Contacts;
using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Consent;

/// <summary>A consent fact to append; <see cref="At"/> is when the contact said it.</summary>
public sealed record ConsentFact(ConsentStatus Status, ConsentSource Source, DateTimeOffset At, Guid? ActivityId = null, string? Evidence = null, string? Note = null);

/// <summary>
/// The append-only consent ledger. Every change of a contact's consent is an entry; the contact's
/// <see cref="Contact.SmsConsent"/> follows the newest one, so an entry that arrives late (an old text redelivered)
/// is kept as evidence without undoing a newer decision.
/// </summary>
public sealed class ConsentLedger(CrmDbContext db, UnitOfWork work, AuditLog audit, TimeProvider clock)
{
    /// <summary>Staff (or an API key) record consent they learned outside a text: a call, a signed form. Audited.</summary>
    public Task<Contact> RecordAsync(Guid contactId, ConsentStatus status, string? note, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (note is { Length: > 500 })
        {
            throw new InvalidFieldException("note", "A note holds at most 500 characters.");
        }

        return work.RunAsync(async ct =>
        {
            var contact = await db.Contacts.ForUpdate().FirstOrDefaultAsync(c => c.Id == contactId, ct)
                ?? throw new NotFoundException(nameof(Contact), contactId);
            var source = actor.Kind == AuditActorKind.ApiKey ? ConsentSource.Api : ConsentSource.Staff;
            var events = Append(contact, new ConsentFact(status, source, clock.GetUtcNow(), Note: note), actor);
            audit.Record(actor, "consent.recorded", contact.Id.ToString(), $"status={status} source={source}");
            return Change.Of(contact, events);
        }, cancellationToken);
    }

    /// <summary>Adds the entry in the caller's unit of work and moves the contact's state when it is the newest; the events to publish.</summary>
    public CrmEvent[] Append(Contact contact, ConsentFact fact, Actor? actor = null)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(fact);
        var now = clock.GetUtcNow();
        db.ConsentEntries.Add(new ConsentEntry
        {
            ContactId = contact.Id,
            Phone = contact.Phone,
            Status = fact.Status,
            Source = fact.Source,
            At = fact.At,
            RecordedAt = now,
            ActivityId = fact.ActivityId,
            Evidence = fact.Evidence is { Length: > 500 } text ? text[..500] : fact.Evidence,
            ActorId = actor?.Id,
            ActorName = actor?.Name,
            Note = fact.Note,
        });
        if (contact.SmsConsent.Since is { } since && fact.At < since)
        {
            return [];
        }

        Follow(contact, fact.Status, fact.At, fact.Source);
        contact.UpdatedAt = now;
        return [new ContactUpdated(contact.Id)];
    }

    /// <summary>
    /// A contact (created again, or imported) with a number whose earlier contact was deleted takes over that number's
    /// entries and state: an opt-out is about the person at the number, and deleting a contact must not undo it.
    /// </summary>
    public async Task InheritAsync(Contact contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        if (contact.Phone is null)
        {
            return;
        }

        var orphans = await OrphansAsync([contact.Phone], cancellationToken);
        Inherit(contact, orphans[contact.Phone]);
    }

    /// <summary>The entries left by deleted contacts for these numbers, by number, for contacts created in bulk (an import batch).</summary>
    public async Task<ILookup<string, ConsentEntry>> OrphansAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken)
    {
        var orphans = await db.ConsentEntries.Where(e => e.ContactId == null && e.Phone != null && phones.Contains(e.Phone)).ToListAsync(cancellationToken);
        return orphans.ToLookup(e => e.Phone!, StringComparer.Ordinal);
    }

    /// <summary>The new contact takes over the entries (tracked, from <see cref="OrphansAsync"/>) and the state of the newest.</summary>
    public static void Inherit(Contact contact, IEnumerable<ConsentEntry> orphans)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(orphans);
        ConsentEntry? newest = null;
        foreach (var entry in orphans.OrderBy(e => e.At).ThenBy(e => e.RecordedAt))
        {
            entry.ContactId = contact.Id;
            newest = entry;
        }

        if (newest is not null)
        {
            Follow(contact, newest.Status, newest.At, newest.Source);
        }
    }

    /// <summary>The contact's state becomes what its newest entry says.</summary>
    private static void Follow(Contact contact, ConsentStatus status, DateTimeOffset at, ConsentSource source)
    {
        contact.SmsConsent.Status = status == ConsentStatus.OptedIn ? SmsConsentStatus.OptedIn : SmsConsentStatus.OptedOut;
        contact.SmsConsent.Since = at;
        contact.SmsConsent.Source = source;
    }
}
