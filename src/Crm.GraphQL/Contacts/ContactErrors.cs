using Crm.Data;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Contacts;

internal sealed class CreateContactErrorType()
    : ErrorUnionGraphType("CreateContactError", typeof(InvalidPhoneNumberErrorType), typeof(InvalidFieldErrorType), typeof(DuplicateContactErrorType));

internal sealed class UpdateContactErrorType()
    : ErrorUnionGraphType("UpdateContactError", typeof(InvalidPhoneNumberErrorType), typeof(InvalidFieldErrorType), typeof(DuplicateContactErrorType), typeof(NotFoundErrorType));

internal sealed class DeleteContactErrorType() : ErrorUnionGraphType("DeleteContactError", typeof(NotFoundErrorType));

internal sealed class CreateContactPayloadType() : PayloadGraphType<ContactType, CreateContactErrorType>("CreateContactPayload", "contact", "The new contact.");

internal sealed class UpdateContactPayloadType() : PayloadGraphType<ContactType, UpdateContactErrorType>("UpdateContactPayload", "contact", "The contact as changed.");

internal sealed class DeleteContactPayloadType() : PayloadGraphType<ContactType, DeleteContactErrorType>("DeleteContactPayload", "contact", "The contact as it was before deletion.");

internal sealed class DuplicateContactErrorType : ErrorGraphType<DuplicateContactException>
{
    public DuplicateContactErrorType()
        : base("DuplicateContactError", "Another contact already has this phone number.")
    {
        Field<NonNullGraphType<IdGraphType>>("existingContactId")
            .Description("The global id of the contact that has the number.")
            .Resolve(ctx => NodeId.Encode("Contact", ctx.Source.ExistingContactId));
        Field<ContactType>("existingContact")
            .Description("The contact that has the number.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().Contacts.Load(ctx.Source.ExistingContactId));
    }
}
