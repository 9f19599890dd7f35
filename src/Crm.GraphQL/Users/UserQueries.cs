using Crm.Data;
using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Users;

internal static class UserQueries
{
    private static readonly SortKey<CrmUser>[] UserOrder = [SortKey<CrmUser>.Asc(u => u.Email), SortKey<CrmUser>.Asc(u => u.Id)];
    private static readonly SortKey<ApiKey>[] KeyOrder = [SortKey<ApiKey>.Desc(k => k.CreatedAt), SortKey<ApiKey>.Desc(k => k.Id)];
    private static readonly SortKey<AuditEntry>[] AuditOrder = [SortKey<AuditEntry>.Desc(a => a.At), SortKey<AuditEntry>.Desc(a => a.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<MeType>>("me")
            .Description("Who is calling.")
            .RequireRole(CrmRole.Viewer)
            .ResolveAsync(async ctx =>
            {
                var id = ctx.User.Id()!.Value;
                var db = ctx.RequestServices!.GetRequiredService<CrmDbContext>();
                if (ctx.User!.FindFirst(CrmPrincipal.KindClaim)?.Value == CrmPrincipal.ApiKeyKind)
                {
                    var key = await db.ApiKeys.AsNoTracking().FirstAsync(k => k.Id == id, ctx.CancellationToken);
                    return new Me(key.Id, "API_KEY", null, key.Name, key.Role);
                }

                var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == id, ctx.CancellationToken);
                return new Me(user.Id, "USER", user.Email, user.DisplayName, user.Role);
            });

        query.Field<NonNullGraphType<UsersConnectionType>>("users")
            .Description("Staff accounts.")
            .RequireRole(CrmRole.Admin)
            .PagingArguments()
            .ResolveAsync(async ctx => await Keyset.PageAsync(Db(ctx).Users.AsNoTracking(), UserOrder, ctx.GetPageRequest(), ctx.CancellationToken));

        query.Field<NonNullGraphType<ApiKeysConnectionType>>("apiKeys")
            .Description("Integrators' keys, revoked ones included.")
            .RequireRole(CrmRole.Admin)
            .PagingArguments()
            .ResolveAsync(async ctx => await Keyset.PageAsync(Db(ctx).ApiKeys.AsNoTracking(), KeyOrder, ctx.GetPageRequest(), ctx.CancellationToken));

        query.Field<NonNullGraphType<AuditLogConnectionType>>("auditLog")
            .Description("Sign-ins, user and role changes, key creation and revocation, webhook replays: newest first.")
            .RequireRole(CrmRole.Admin)
            .Argument<StringGraphType>("action", "Only entries with this action, e.g. login.failed.")
            .PagingArguments()
            .ResolveAsync(async ctx =>
            {
                var query = Db(ctx).AuditEntries.AsNoTracking();
                if (ctx.GetArgument<string?>("action") is { } action)
                {
                    query = query.Where(a => a.Action == action);
                }

                return await Keyset.PageAsync(query, AuditOrder, ctx.GetPageRequest(), ctx.CancellationToken);
            });
    }

    private static CrmDbContext Db(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<CrmDbContext>();
}
