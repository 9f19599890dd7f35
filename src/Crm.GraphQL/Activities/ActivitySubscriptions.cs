using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Loading;
using Crm.GraphQL.PhoneNumbers;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;
using static Crm.GraphQL.Schema.SubscriptionFields;

namespace Crm.GraphQL.Activities;

internal static class ActivitySubscriptions
{
    public static void Register(ObjectGraphType subscription)
    {
        subscription.Field<NonNullGraphType<ActivityType>>("activityUpdated")
            .Description("A message or call changed: delivery status, recording, summary or transcript attached.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("conversationId", "Only activities on this conversation.")
            .ResolveAsync(ctx => LoadAsync(ctx, ((ActivityUpdated)ctx.Source!).ActivityId))
            .ResolveStream(ctx =>
            {
                var conversationId = OptionalId(ctx, "conversationId", "Conversation");
                return Events<ActivityUpdated>(ctx, ActivityUpdated.TopicName, e => conversationId is null || e.ConversationId == conversationId);
            });

        subscription.Field<NonNullGraphType<IncomingCallType>>("incomingCall")
            .Description("A call is ringing on one of the business's lines, with the caller's contact when known.")
            .RequireRole(CrmRole.Viewer)
            .Resolve(ctx => ctx.Source)
            .ResolveStream(ctx => Events<IncomingCall>(ctx, IncomingCall.TopicName, _ => true));
    }

    /// <summary>The activity an event names, read fresh.</summary>
    public static async Task<object?> LoadAsync(IResolveFieldContext ctx, Guid id) =>
        await ctx.RequestServices!.GetRequiredService<CrmDbContext>().Activities.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ctx.CancellationToken) ?? throw Gone("Activity");
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
