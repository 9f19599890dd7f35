using Crm.Data;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Contacts;

internal static class ContactQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<ContactsConnectionType>>("contacts")
            .Description("All contacts, newest first unless ordered otherwise.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .FilterArguments(typeof(ContactFilterInputType), typeof(ContactSortInputType))
            .ResolveAsync(async ctx => await ctx.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking(),
                ContactFilters.Filter, ContactFilters.Sort, ContactFilters.DefaultOrder, ContactFilters.Tiebreak));

        query.Field<ContactType>("contact")
            .Description("One contact by id; null when it does not exist.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "The contact's global id.")
            .Resolve(ctx => ctx.LoadProjected(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking(), c => c.Id, NodeId.Decode(ctx.GetArgument<string>("id"), "Contact")));
    }
}
