using Crm.Data;
using Crm.Data.PhoneNumbers;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.PhoneNumbers;

internal static class PhoneNumberQueries
{
    private static readonly SortKey<PhoneNumber>[] Order = [SortKey<PhoneNumber>.Asc(p => p.Number), SortKey<PhoneNumber>.Asc(p => p.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<PhoneNumbersConnectionType>>("phoneNumbers")
            .Description("The business's OpenPhone lines, by number.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .ResolveAsync(async ctx => await Keyset.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().PhoneNumbers.AsNoTracking(), Order, ctx.GetPageRequest(), ctx.CancellationToken));
    }
}
