using Crm.Data;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Consent;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Messages;

internal sealed class SendMessageErrorType() : ErrorUnionGraphType(
    "SendMessageError",
    typeof(ContactOptedOutErrorType),
    typeof(InvalidPhoneNumberErrorType),
    typeof(EmptyMessageErrorType),
    typeof(MessageTooLongErrorType),
    typeof(NotFoundErrorType),
    typeof(InvalidFieldErrorType),
    typeof(SendRefusedErrorType));

internal sealed class CancelMessageErrorType() : ErrorUnionGraphType("CancelMessageError", typeof(MessageStateErrorType), typeof(NotFoundErrorType));

internal sealed class RetryMessageErrorType() : ErrorUnionGraphType("RetryMessageError", typeof(MessageStateErrorType), typeof(ContactOptedOutErrorType), typeof(SendRefusedErrorType), typeof(NotFoundErrorType));

internal sealed class SendMessagePayloadType : PayloadGraphType<ActivityType, SendMessageErrorType>
{
    public SendMessagePayloadType()
        : base("SendMessagePayload", "activity", "The outgoing text, QUEUED; the same one again for a repeated idempotency key.")
    {
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("warnings")
            .Description("What the send gate said of an accepted text: the recipient's late hour, or why it waits (quiet hours, a cap).")
            .Resolve(ctx => ctx.Source.Value is Crm.Data.Activities.Activity { GateNote: { } note } ? new[] { note } : []);
    }
}

internal sealed class CancelMessagePayloadType() : PayloadGraphType<ActivityType, CancelMessageErrorType>("CancelMessagePayload", "activity", "The text, CANCELLED.");

internal sealed class RetryMessagePayloadType() : PayloadGraphType<ActivityType, RetryMessageErrorType>("RetryMessagePayload", "activity", "The text, QUEUED again.");

internal sealed class ContactOptedOutErrorType : ErrorGraphType<ContactOptedOutException>
{
    public ContactOptedOutErrorType()
        : base("ContactOptedOutError", "The contact opted out of texts (STOP); nothing is sent to them until they opt back in (START).")
    {
        Field<NonNullGraphType<IdGraphType>>("contactId").Description("The contact's global id.").Resolve(ctx => NodeId.Encode("Contact", ctx.Source.ContactId));
        Field(x => x.OptedOutAt).Description("When they opted out.");
    }
}

internal sealed class EmptyMessageErrorType() : ErrorGraphType<EmptyMessageException>("EmptyMessageError", "The text is empty or only spaces.");

internal sealed class MessageTooLongErrorType : ErrorGraphType<MessageTooLongException>
{
    public MessageTooLongErrorType()
        : base("MessageTooLongError", "The text is longer than OpenPhone accepts (1,600 characters).")
    {
        Field(x => x.Length).Description("The text's length in characters.");
        Field(x => x.MaxLength).Description("The most a text may hold.");
    }
}

internal sealed class MessageStateErrorType : ErrorGraphType<MessageStateException>
{
    public MessageStateErrorType()
        : base("MessageStateError", "The text is not in a state the mutation applies to: only a QUEUED text can be cancelled, only a FAILED or SKIPPED one retried.")
    {
        Field(x => x.Status).Description("The text's status now.");
    }
}
