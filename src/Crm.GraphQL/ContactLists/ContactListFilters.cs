using Crm.Data.ContactLists;
using Crm.GraphQL.Server.Querying;

namespace Crm.GraphQL.ContactLists;

/// <summary>What contact lists may be filtered and ordered by.</summary>
internal static class ContactListFilters
{
    private static readonly Lazy<FilterDefinition<ContactList>> LazyFilter = new(() => new FilterDefinition<ContactList>()
        .Id("id", l => l.Id, "ContactList", "The list's global id.")
        .String("name", l => l.Name, "The list's name.")
        .String("createdBy", l => l.CreatedBy, "Who created it.")
        .Comparable("createdAt", l => l.CreatedAt, typeof(DateTimeOperationFilterInputType), "When the list was created."));

    private static readonly Lazy<SortDefinition<ContactList>> LazySort = new(() => new SortDefinition<ContactList>()
        .Field("name", l => l.Name, "The list's name.")
        .Field("createdAt", l => l.CreatedAt, "When the list was created."));

    public static FilterDefinition<ContactList> Filter => LazyFilter.Value;

    public static SortDefinition<ContactList> Sort => LazySort.Value;

    /// <summary>Newest first, the default of <c>contactLists</c>.</summary>
    public static readonly SortKey<ContactList>[] DefaultOrder = [SortKey<ContactList>.Desc(l => l.CreatedAt), SortKey<ContactList>.Desc(l => l.Id)];

    public static readonly SortKey<ContactList> Tiebreak = SortKey<ContactList>.Asc(l => l.Id);

    /// <summary>A list's contacts, most recently added first.</summary>
    public static readonly SortKey<ContactListMember>[] MemberOrder = [SortKey<ContactListMember>.Desc(m => m.AddedAt), SortKey<ContactListMember>.Desc(m => m.ContactId)];

    public static readonly SortKey<ContactListMember> MemberTiebreak = SortKey<ContactListMember>.Asc(m => m.ContactId);

    /// <summary>Members are paged, not filtered or ordered by clients: the definitions are empty.</summary>
    public static readonly FilterDefinition<ContactListMember> NoMemberFilter = new();

    public static readonly SortDefinition<ContactListMember> NoMemberSort = new();
}

internal sealed class ContactListFilterInputType() : FilterInputGraphType<ContactList>("ContactListFilterInput", ContactListFilters.Filter);

internal sealed class ContactListSortInputType() : SortInputGraphType<ContactList>("ContactListSortInput", ContactListFilters.Sort);
