using Crm.Data.Contacts;

namespace Crm.Data.Campaigns;

/// <summary>
/// A saved audience filter (<c>ContactFilterInput</c> as JSON) applied to contacts. The GraphQL host implements it
/// with the very filter the <c>contacts</c> field uses, so an audience matches what staff saw in the contact list.
/// </summary>
public interface IContactFilterReader
{
    /// <summary>The contacts the filter keeps.</summary>
    /// <exception cref="InvalidFieldException">The filter is not a valid <c>ContactFilterInput</c>.</exception>
    Task<IQueryable<Contact>> ApplyAsync(IQueryable<Contact> contacts, string filterJson, CancellationToken cancellationToken);
}
