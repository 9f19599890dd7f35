using Crm.Data;
using Crm.Data.Users;
using Crm.Data.Webhooks;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Webhooks;

internal static class WebhookEventQueries
{
    private static readonly SortKey<WebhookEvent>[] Order = [SortKey<WebhookEvent>.Desc(e => e.ReceivedAt), SortKey<WebhookEvent>.Desc(e => e.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<WebhookEventsConnectionType>>("webhookEvents")
            .Description("Received webhook deliveries, newest first, for operators: what failed and why.")
            .RequireRole(CrmRole.Admin)
            .PagingArguments()
            .Argument<WebhookEventStatusType>("status", "Only events in this state.")
            .Argument<StringGraphType>("type", "Only events of this type, such as message.received.")
            .ResolveAsync(async ctx =>
            {
                var events = ctx.RequestServices!.GetRequiredService<CrmDbContext>().WebhookEvents.AsNoTracking();
                if (ctx.GetArgument<WebhookEventStatus?>("status") is { } status)
                {
                    events = events.Where(e => e.Status == status);
                }

                if (ctx.GetArgument<string?>("type") is { } type)
                {
                    events = events.Where(e => e.Type == type);
                }

                return await Keyset.PageAsync(events, Order, ctx.GetPageRequest(), ctx.CancellationToken);
            });
    }
}
