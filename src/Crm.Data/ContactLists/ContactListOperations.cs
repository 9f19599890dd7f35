using Crm.Data.Audit;
using Crm.Data.Contacts;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.ContactLists;

/// <summary>A list after a change of its members, and how many contacts the change added or removed.</summary>
public sealed record ContactListChange(ContactList List, int Count);

/// <summary>
/// Staff's changes to contact lists, each audited. Members are added and removed by the database in one statement,
/// whether by ids or by a filter that matches 100,000 contacts, and adding a member twice adds nothing.
/// </summary>
public sealed class ContactListOperations(CrmDbContext db, UnitOfWork work, AuditLog audit, TimeProvider clock)
{
    public Task<ContactList> CreateAsync(string name, string? description, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var cleanName = CleanName(name);
        var cleanDescription = CleanDescription(description);
        return work.RunAsync(async ct =>
        {
            await RefuseTakenAsync(cleanName, null, ct);
            var list = new ContactList { Name = cleanName, Description = cleanDescription, CreatedAt = clock.GetUtcNow(), CreatedBy = actor.Name ?? actor.Kind.ToString() };
            db.ContactLists.Add(list);
            audit.Record(actor, "contactlist.created", list.Id.ToString(), cleanName);
            return Change.Of(list);
        }, cancellationToken);
    }

    /// <summary>Renames the list or changes its description; null leaves either as it is, an empty description clears it.</summary>
    public Task<ContactList> UpdateAsync(Guid id, string? name, string? description, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var cleanName = name is null ? null : CleanName(name);
        return work.RunAsync(async ct =>
        {
            var list = await FindAsync(id, ct);
            if (cleanName is not null && cleanName != list.Name)
            {
                await RefuseTakenAsync(cleanName, id, ct);
                audit.Record(actor, "contactlist.renamed", id.ToString(), $"{list.Name} -> {cleanName}");
                list.Name = cleanName;
            }

            if (description is not null)
            {
                list.Description = CleanDescription(description);
                audit.Record(actor, "contactlist.updated", id.ToString(), list.Name);
            }

            return Change.Of(list);
        }, cancellationToken);
    }

    /// <summary>Deletes the list and its memberships; the contacts stay.</summary>
    public Task<ContactList> DeleteAsync(Guid id, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(async ct =>
        {
            var list = await FindAsync(id, ct);
            db.ContactLists.Remove(list);
            audit.Record(actor, "contactlist.deleted", id.ToString(), list.Name);
            return Change.Of(list);
        }, cancellationToken);
    }

    /// <summary>Adds these contacts; an id no contact has is a <see cref="NotFoundException"/> and adds nothing.</summary>
    public Task<ContactListChange> AddAsync(Guid listId, IReadOnlyCollection<Guid> contactIds, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contactIds);
        return work.RunAsync(async ct =>
        {
            var known = await db.Contacts.Where(c => contactIds.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct);
            var unknown = contactIds.Except(known).Take(1).ToList();
            if (unknown.Count > 0)
            {
                throw new NotFoundException(nameof(Contact), unknown[0]);
            }

            return Change.Of(await AddMatchingAsync(listId, db.Contacts.Where(c => contactIds.Contains(c.Id)), "ids", actor, ct));
        }, cancellationToken);
    }

    /// <summary>Adds every contact <paramref name="contacts"/> matches (a query of this context), in one INSERT … SELECT.</summary>
    public Task<ContactListChange> AddAsync(Guid listId, IQueryable<Contact> contacts, Actor actor, CancellationToken cancellationToken) =>
        work.RunAsync(async ct => Change.Of(await AddMatchingAsync(listId, contacts, "filter", actor, ct)), cancellationToken);

    /// <summary>Removes these contacts from the list; one that is not a member is passed over.</summary>
    public Task<ContactListChange> RemoveAsync(Guid listId, IReadOnlyCollection<Guid> contactIds, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contactIds);
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(async ct =>
        {
            var list = await FindAsync(listId, ct);
            var removed = await db.ContactListMembers.Where(m => m.ListId == listId && contactIds.Contains(m.ContactId)).ExecuteDeleteAsync(ct);
            audit.Record(actor, "contactlist.members_removed", listId.ToString(), $"removed={removed}");
            return Change.Of(new ContactListChange(list, removed));
        }, cancellationToken);
    }

    private async Task<ContactListChange> AddMatchingAsync(Guid listId, IQueryable<Contact> contacts, string by, Actor actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var list = await FindAsync(listId, cancellationToken);
        var added = await db.InsertMissingAsync<ContactListMember, Guid>(
            contacts.Select(c => c.Id),
            nameof(ContactListMember.ContactId),
            new Dictionary<string, object?> { [nameof(ContactListMember.ListId)] = listId, [nameof(ContactListMember.AddedAt)] = clock.GetUtcNow() },
            cancellationToken);
        audit.Record(actor, "contactlist.members_added", listId.ToString(), $"added={added} by={by}");
        return new ContactListChange(list, added);
    }

    private async Task<ContactList> FindAsync(Guid id, CancellationToken cancellationToken) =>
        await db.ContactLists.FirstOrDefaultAsync(l => l.Id == id, cancellationToken) ?? throw new NotFoundException(nameof(ContactList), id);

    private async Task RefuseTakenAsync(string name, Guid? self, CancellationToken cancellationToken)
    {
        // A create racing this one loses on the unique index; the unit of work runs it again and it ends here.
        var existing = await db.ContactLists.Where(l => l.Name == name && l.Id != self).Select(l => (Guid?)l.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is { } other)
        {
            throw new DuplicateContactListNameException(name, other);
        }
    }

    private static string CleanName(string name) => name?.Trim() is { Length: > 0 and <= ContactList.MaxNameLength } clean
        ? clean
        : throw new InvalidFieldException("name", $"A list needs a name, of at most {ContactList.MaxNameLength} characters.");

    private static string? CleanDescription(string? description) => description?.Trim() switch
    {
        null or { Length: 0 } => null,
        { Length: <= ContactList.MaxDescriptionLength } clean => clean,
        _ => throw new InvalidFieldException("description", $"A list's description holds at most {ContactList.MaxDescriptionLength} characters."),
    };
}

/// <summary>Another list already has this name.</summary>
public sealed class DuplicateContactListNameException(string name, Guid existingListId)
    : DomainException($"A contact list named '{name}' already exists.")
{
    public string Name { get; } = name;

    public Guid ExistingListId { get; } = existingListId;
}
