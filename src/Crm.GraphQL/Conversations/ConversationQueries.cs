using Crm.Data;
using Crm.Data.Conversations;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Paging;
using Crm.GraphQL.Schema;
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
            .Description("All conversations, newest activity first: the inbox.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .ResolveAsync(async ctx => await Keyset.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Conversations.AsNoTracking(), InboxOrder, ctx.GetPageRequest(), ctx.CancellationToken));

        query.Field<ConversationType>("conversation")
            .Description("One conversation by id; null when it does not exist.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "The conversation's global id.")
            .ResolveAsync(async ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<string>("id"), "Conversation");
                return await ctx.RequestServices!.GetRequiredService<CrmDbContext>().Conversations.AsNoTracking()
                    .FirstOrDefaultAsync(c => c.Id == id, ctx.CancellationToken);
            });
    }
}
