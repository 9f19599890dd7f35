using Crm.Data;
using Crm.Data.Conversations;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Conversations;

internal static class ConversationQueries
{
    /// <summary>The inbox order, served by the (LastActivityAt DESC, Id DESC) index.</summary>
    public static readonly SortKey<Conversation>[] InboxOrder =
        [SortKey<Conversation>.Desc(c => c.LastActivityAt), SortKey<Conversation>.Desc(c => c.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<ConversationsConnectionType>>("conversations")
            .Description("The inbox: conversations, newest activity first unless ordered otherwise. Snoozed conversations stay hidden until their time passes, unless includeSnoozed is true.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .FilterArguments(typeof(ConversationFilterInputType), typeof(ConversationSortInputType))
            .Argument<BooleanGraphType>("includeSnoozed", a => a.DefaultValue = false)
            .ResolveAsync(async ctx =>
            {
                var query = ctx.RequestServices!.GetRequiredService<CrmDbContext>().Conversations.AsNoTracking();
                if (!ctx.GetArgument<bool>("includeSnoozed"))
                {
                    var now = ctx.RequestServices!.GetRequiredService<TimeProvider>().GetUtcNow();
                    query = query.Where(c => c.SnoozedUntil == null || c.SnoozedUntil <= now);
                }

                return await ctx.PageAsync(query, ConversationFilters.Filter, ConversationFilters.Sort, InboxOrder, ConversationFilters.Tiebreak);
            });

        query.Field<ConversationType>("conversation")
            .Description("One conversation by id; null when it does not exist.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "The conversation's global id.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().Conversations.Load(NodeId.Decode(ctx.GetArgument<string>("id"), "Conversation")));
    }
}
