using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Auth;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;
using static Crm.GraphQL.Schema.SubscriptionFields;

namespace Crm.GraphQL.Conversations;

internal static class ConversationSubscriptions
{
    public static void Register(ObjectGraphType subscription)
    {
        subscription.Field<NonNullGraphType<ActivityType>>("messageReceived")
            .Description("An incoming text, optionally only on one conversation or one of the business's lines.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("conversationId", "Only messages on this conversation.")
            .Argument<IdGraphType>("phoneNumberId", "Only messages to this business line.")
            .ResolveAsync(ctx => ActivitySubscriptions.LoadAsync(ctx, ((MessageReceived)ctx.Source!).ActivityId))
            .ResolveStream(ctx =>
            {
                var conversationId = OptionalId(ctx, "conversationId", "Conversation");
                var phoneNumberId = OptionalId(ctx, "phoneNumberId", "PhoneNumber");
                return Events<MessageReceived>(ctx, MessageReceived.TopicName, e =>
                    (conversationId is null || e.ConversationId == conversationId) && (phoneNumberId is null || e.PhoneNumberId == phoneNumberId));
            });

        subscription.Field<NonNullGraphType<ConversationType>>("conversationUpdated")
            .Description("A conversation changed: new activity, read or unread, status, snooze. What an inbox list needs to re-render a row.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("id", "Only this conversation.")
            .ResolveAsync(async ctx =>
            {
                var id = ((ConversationUpdated)ctx.Source!).ConversationId;
                var db = ctx.RequestServices!.GetRequiredService<CrmDbContext>();
                return await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ctx.CancellationToken) ?? throw Gone("Conversation");
            })
            .ResolveStream(ctx =>
            {
                var id = OptionalId(ctx, "id", "Conversation");
                return Events<ConversationUpdated>(ctx, ConversationUpdated.TopicName, e => id is null || e.ConversationId == id);
            });
    }
}
