using Crm.Data.Outbound;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Messages;

/// <summary>Texting out: every text goes through the one outbound pipe (<see cref="OutboundOperations"/>).</summary>
internal static class MessageMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<SendMessagePayloadType>>("sendMessage")
            .Description("Queues a text to a conversation, or to a contact from a line (the named one, OpenPhone:DefaultPhoneNumberId, or the only one), and returns at once: the activity is QUEUED, then SENDING, SENT and DELIVERED, live on activityUpdated.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<SendMessageInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<SendMessageInput>("input");
                var request = new SendRequest(
                    OptionalId(input.ConversationId, "Conversation"),
                    OptionalId(input.ContactId, "Contact"),
                    OptionalId(input.PhoneNumberId, "PhoneNumber"),
                    input.Body,
                    input.IdempotencyKey,
                    input.Purpose == SendPurpose.Marketing ? OutboundPriority.Bulk : OutboundPriority.Staff,
                    input.Purpose ?? SendPurpose.Conversation,
                    input.ConsentAttested ?? false);
                return MutationConventions.RunAsync(async () => new Payload(await Operations(ctx).EnqueueAsync(request, ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<CancelMessagePayloadType>>("cancelMessage")
            .Description("Cancels a QUEUED text before it is sent.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<MessageIdInputType>>("input")
            .ResolveAsync(ctx => MutationConventions.RunAsync(async () =>
                new Payload(await Operations(ctx).CancelAsync(ActivityId(ctx), ctx.CancellationToken), null)));

        mutation.Field<NonNullGraphType<RetryMessagePayloadType>>("retryMessage")
            .Description("Queues a FAILED or SKIPPED text again, through the send gate again.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<MessageIdInputType>>("input")
            .ResolveAsync(ctx => MutationConventions.RunAsync(async () =>
                new Payload(await Operations(ctx).RetryAsync(ActivityId(ctx), ctx.CancellationToken), null)));
    }

    private static OutboundOperations Operations(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<OutboundOperations>();

    private static Guid ActivityId(IResolveFieldContext ctx) => NodeId.Decode(ctx.GetArgument<MessageIdInput>("input").Id, "Activity");

    private static Guid? OptionalId(string? id, string type) => id is null ? null : NodeId.Decode(id, type);
}

internal sealed record SendMessageInput(string? ConversationId, string? ContactId, string? PhoneNumberId, string Body, string? IdempotencyKey, SendPurpose? Purpose, bool? ConsentAttested);

internal sealed record MessageIdInput(string Id);

internal sealed class SendMessageInputType : InputObjectGraphType<SendMessageInput>
{
    public SendMessageInputType()
    {
        Name = "SendMessageInput";
        Description = "A text to send: name the conversation, or the contact (and optionally the line).";
        Field<IdGraphType>("conversationId").Description("The conversation to text; its line sends it.");
        Field<IdGraphType>("contactId").Description("The contact to text, when no conversation is named.");
        Field<IdGraphType>("phoneNumberId").Description("The line to send from, with contactId; default OpenPhone:DefaultPhoneNumberId, or the only line.");
        Field<NonNullGraphType<StringGraphType>>("body").Description("The text, 1 to 1,600 characters.");
        Field<StringGraphType>("idempotencyKey").Description("Your key for this send: the same key again returns the first activity and sends nothing.");
        Field<Consent.SendPurposeType>("purpose").Description("What the text is for; default CONVERSATION. MARKETING texts wait for the recipient's allowed hours and caps.");
        Field<BooleanGraphType>("consentAttested").Description("For MARKETING to a contact with no consent on record: you attest the list was obtained with consent.");
    }
}

internal sealed class MessageIdInputType : InputObjectGraphType<MessageIdInput>
{
    public MessageIdInputType()
    {
        Name = "MessageIdInput";
        Description = "The outgoing text's activity id.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The activity's global id.");
    }
}
