using Crm.Data;
using Crm.Data.Contacts;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Paging;
using Crm.GraphQL.Schema;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Contacts;

internal static class ContactQueries
{
    private static readonly SortKey<Contact>[] Order = [SortKey<Contact>.Desc(c => c.CreatedAt), SortKey<Contact>.Desc(c => c.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<ContactsConnectionType>>("contacts")
            .Description("All contacts, newest first.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .ResolveAsync(async ctx => await Keyset.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking(), Order, ctx.GetPageRequest(), ctx.CancellationToken));

        query.Field<ContactType>("contact")
            .Description("One contact by id; null when it does not exist.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "The contact's global id.")
            .ResolveAsync(async ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<string>("id"), "Contact");
                return await ctx.RequestServices!.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking()
                    .FirstOrDefaultAsync(c => c.Id == id, ctx.CancellationToken);
            });
    }
}
