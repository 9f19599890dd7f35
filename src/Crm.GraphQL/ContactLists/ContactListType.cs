using Crm.Data;
using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Loading;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.ContactLists;

internal sealed class ContactListType : ObjectGraphType<ContactList>
{
    public ContactListType()
    {
        Name = "ContactList";
        Description = "A named set of contacts, filled by CSV imports (listName), addToContactList and removeFromContactList, and used by campaigns.";
        Interface<NodeInterfaceType>();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Name).Description("The list's name, unique.");
        Field(x => x.Description, nullable: true).Description("What the list is for.");
        Field(x => x.CreatedAt).Description("When the list was created.");
        Field(x => x.CreatedBy).Description("Who created it (the user or API key that ran the import).");
        Field<NonNullGraphType<IntGraphType>>("memberCount")
            .Description("How many contacts the list holds.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().ListMemberCounts.Load(ctx.Source.Id));
        Field<NonNullGraphType<ContactListContactsConnectionType>>("contacts")
            .Description("The list's contacts, most recently added first.")
            .PagingArguments()
            .Resolve(ctx => ctx.PageByParent(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().ContactListMembers.AsNoTracking(), m => m.ListId, ctx.Source.Id,
                ContactListFilters.NoMemberFilter, ContactListFilters.NoMemberSort, ContactListFilters.MemberOrder, ContactListFilters.MemberTiebreak));
    }
}

internal sealed class ContactListsConnectionType() : ConnectionGraphType<ContactListType, ContactList>("ContactLists", "A page of contact lists.");

/// <summary>
/// A page of a list's members shown as their contacts: each node is loaded by id with every other node of the request
/// at that depth, in one query, so the lists of a page cost one query for their members and one for their contacts.
/// </summary>
internal sealed class ContactListContactsConnectionType : ObjectGraphType<Page<ContactListMember>>
{
    public ContactListContactsConnectionType()
    {
        Name = "ContactListContactsConnection";
        Description = "A page of a list's contacts.";
        Field<NonNullGraphType<PageInfoGraphType>>("pageInfo").Description("Where this page sits in the whole list.").Resolve(ctx => ctx.Source.PageInfo);
        Field<ListGraphType<NonNullGraphType<ContactListContactEdgeType>>>("edges").Description("The contacts of this page with their cursors.").Resolve(ctx => ctx.Source.Edges);
        Field<NonNullGraphType<IntGraphType>>("totalCount")
            .Description("How many contacts the list holds. Costs a COUNT query: select it only when needed.")
            .Resolve(ctx => ctx.Source.TotalCount());
    }
}

internal sealed class ContactListContactEdgeType : ObjectGraphType<Edge<ContactListMember>>
{
    public ContactListContactEdgeType()
    {
        Name = "ContactListContactEdge";
        Description = "A contact of the list, with its cursor.";
        Field(x => x.Cursor).Description("Pass as after/before to page from here.");
        Field<NonNullGraphType<ContactType>>("node").Description("The contact.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().Contacts.Load(ctx.Source.Node.ContactId).Then(c => (Contact)c!));
        Field("addedAt", x => x.Node.AddedAt).Description("When the contact was added to the list.");
    }
}
