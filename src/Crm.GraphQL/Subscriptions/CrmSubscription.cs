using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Conversations;
using Crm.GraphQL.Loading;
using Crm.GraphQL.PhoneNumbers;
using Crm.GraphQL.Schema;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Subscriptions;

/// <summary>
/// Live updates over graphql-transport-ws (or legacy graphql-ws) or graphql-sse. Each event names ids only; the entity
/// is read fresh from the database in a DI scope of its own (ScopedSubscriptionExecutionStrategy), so every subscriber
/// sees committed state.
/// </summary>
internal sealed class CrmSubscription : ObjectGraphType
{
    public CrmSubscription()
    {
        Name = "Subscription";
        Description = "Events as they happen: over WebSocket (graphql-transport-ws, or legacy graphql-ws) or POST with Accept: text/event-stream (graphql-sse).";

        Field<NonNullGraphType<ActivityType>>("messageReceived")
            .Description("An incoming text, optionally only on one conversation or one of the business's lines.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("conversationId", "Only messages on this conversation.")
            .Argument<IdGraphType>("phoneNumberId", "Only messages to this business line.")
            .ResolveAsync(ctx => LoadActivityAsync(ctx, ((MessageReceived)ctx.Source!).ActivityId))
            .ResolveStream(ctx =>
            {
                var conversationId = OptionalId(ctx, "conversationId", "Conversation");
                var phoneNumberId = OptionalId(ctx, "phoneNumberId", "PhoneNumber");
                return EventStream.Of<MessageReceived>(Bus(ctx), MessageReceived.TopicName, e =>
                    (conversationId is null || e.ConversationId == conversationId) && (phoneNumberId is null || e.PhoneNumberId == phoneNumberId));
            });

        Field<NonNullGraphType<ConversationType>>("conversationUpdated")
            .Description("A conversation changed: new activity, read or unread, status, snooze. What an inbox list needs to re-render a row.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("id", "Only this conversation.")
            .ResolveAsync(async ctx =>
            {
                var id = ((ConversationUpdated)ctx.Source!).ConversationId;
                return await Db(ctx).Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ctx.CancellationToken) ?? throw Gone("Conversation");
            })
            .ResolveStream(ctx =>
            {
                var id = OptionalId(ctx, "id", "Conversation");
                return EventStream.Of<ConversationUpdated>(Bus(ctx), ConversationUpdated.TopicName, e => id is null || e.ConversationId == id);
            });

        Field<NonNullGraphType<ActivityType>>("activityUpdated")
            .Description("A message or call changed: delivery status, recording, summary or transcript attached.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("conversationId", "Only activities on this conversation.")
            .ResolveAsync(ctx => LoadActivityAsync(ctx, ((ActivityUpdated)ctx.Source!).ActivityId))
            .ResolveStream(ctx =>
            {
                var conversationId = OptionalId(ctx, "conversationId", "Conversation");
                return EventStream.Of<ActivityUpdated>(Bus(ctx), ActivityUpdated.TopicName, e => conversationId is null || e.ConversationId == conversationId);
            });

        Field<NonNullGraphType<IncomingCallType>>("incomingCall")
            .Description("A call is ringing on one of the business's lines, with the caller's contact when known.")
            .RequireRole(CrmRole.Viewer)
            .Resolve(ctx => ctx.Source)
            .ResolveStream(ctx => EventStream.Of<IncomingCall>(Bus(ctx), IncomingCall.TopicName, _ => true));
    }

    private static IEventBus Bus(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<IEventBus>();

    private static CrmDbContext Db(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<CrmDbContext>();

    private static Guid? OptionalId(IResolveFieldContext ctx, string argument, string typeName) =>
        ctx.GetArgument<string?>(argument) is { } id ? NodeId.Decode(id, typeName) : null;

    private static async Task<object?> LoadActivityAsync(IResolveFieldContext ctx, Guid id) =>
        await Db(ctx).Activities.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ctx.CancellationToken) ?? throw Gone("Activity");

    /// <summary>Deleted between the event and the read: the subscriber gets an error for this event and keeps its stream.</summary>
    private static ExecutionError Gone(string typeName) => new($"The {typeName} of this event no longer exists.") { Code = "NOT_FOUND" };
}

internal sealed class IncomingCallType : ObjectGraphType<IncomingCall>
{
    public IncomingCallType()
    {
        Name = "IncomingCall";
        Description = "A call ringing now. Nothing is stored until the call completes and becomes an Activity.";
        Field(x => x.From).Description("The caller's number, in E.164 when it could be normalized.");
        Field<NonNullGraphType<StringGraphType>>("callId").Description("OpenPhone's id of the call (AC…).").Resolve(ctx => ctx.Source.CallOpenPhoneId);
        Field(x => x.At).Description("When the CRM learned the call was ringing.");
        Field<ContactType>("contact")
            .Description("The contact with the caller's number; null for an unknown caller.")
            .Resolve(ctx => ctx.Source.ContactId is { } id ? ctx.RequestServices!.GetRequiredService<CrmLoaders>().Contacts.Load(id) : null);
        Field<PhoneNumberType>("phoneNumber")
            .Description("The business line being called; null when the line is not known to the CRM.")
            .Resolve(ctx => ctx.Source.PhoneNumberId is { } id ? ctx.RequestServices!.GetRequiredService<CrmLoaders>().PhoneNumbers.Load(id) : null);
    }
}
