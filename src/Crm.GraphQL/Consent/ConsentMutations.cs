using Crm.Data.Consent;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Consent;

internal static class ConsentMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<RecordConsentPayloadType>>("recordConsent")
            .Description("Records consent staff learned outside a text (a call, a signed form) as a new ledger entry; audited. The contact's smsConsent follows it.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<RecordConsentInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<RecordConsentInput>("input");
                var id = NodeId.Decode(input.ContactId, "Contact");
                var ledger = ctx.RequestServices!.GetRequiredService<ConsentLedger>();
                return MutationConventions.RunAsync(async () => new Payload(await ledger.RecordAsync(id, input.Status, input.Note, ctx.Actor(), ctx.CancellationToken), null));
            });
    }
}

internal sealed record RecordConsentInput(string ContactId, ConsentStatus Status, string? Note);

internal sealed class RecordConsentInputType : InputObjectGraphType<RecordConsentInput>
{
    public RecordConsentInputType()
    {
        Name = "RecordConsentInput";
        Description = "The contact, what they said, and how staff know.";
        Field(x => x.ContactId, type: typeof(NonNullGraphType<IdGraphType>)).Description("The contact's global id.");
        Field(x => x.Status, type: typeof(NonNullGraphType<ConsentStatusType>)).Description("OPTED_IN or OPTED_OUT.");
        Field(x => x.Note, nullable: true).Description("How staff know (up to 500 characters): \"asked on the phone 12/1\".");
    }
}

internal sealed class RecordConsentErrorType() : ErrorUnionGraphType("RecordConsentError", typeof(NotFoundErrorType), typeof(InvalidFieldErrorType));

internal sealed class RecordConsentPayloadType() : PayloadGraphType<ContactType, RecordConsentErrorType>("RecordConsentPayload", "contact", "The contact with its consent as now recorded.");
