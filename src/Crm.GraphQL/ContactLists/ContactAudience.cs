using Crm.Data;
using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Server.Querying;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.ContactLists;

/// <summary>
/// The contacts an audience names: the <c>where</c> of <c>contacts(where:)</c> (a coerced <c>ContactFilterInput</c>),
/// a contact list's members, or both (the members that match). The one translation of an audience into SQL, for
/// template previews, adding to a list by filter and campaigns alike.
/// </summary>
internal static class ContactAudience
{
    /// <exception cref="NotFoundException">No list has <paramref name="listId"/>.</exception>
    /// <exception cref="global::GraphQL.ExecutionError">A value the filter refuses, such as a global id of another type (INVALID_ID).</exception>
    public static async Task<IQueryable<Contact>> QueryAsync(CrmDbContext db, IDictionary<string, object?>? where, Guid? listId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var contacts = db.Contacts.AsNoTracking();
        if (listId is { } id)
        {
            if (!await db.ContactLists.AnyAsync(l => l.Id == id, cancellationToken))
            {
                throw new NotFoundException(nameof(ContactList), id);
            }

            contacts = contacts.Where(c => db.ContactListMembers.Any(m => m.ListId == id && m.ContactId == c.Id));
        }

        return ConnectionFields.FilterAndOrder(contacts, where, null, ContactFilters.Filter, ContactFilters.Sort, ContactFilters.DefaultOrder, ContactFilters.Tiebreak).Rows;
    }
}
