using Crm.Data;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.ContactLists;

internal static class ContactListQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<ContactListsConnectionType>>("contactLists")
            .Description("Contact lists, newest first unless ordered otherwise.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .FilterArguments(typeof(ContactListFilterInputType), typeof(ContactListSortInputType))
            .ResolveAsync(async ctx => await ctx.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().ContactLists.AsNoTracking(),
                ContactListFilters.Filter, ContactListFilters.Sort, ContactListFilters.DefaultOrder, ContactListFilters.Tiebreak));
    }
}
