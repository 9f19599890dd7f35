using Crm.GraphQL.Schema;

namespace Crm.GraphQL.Contacts;

internal sealed class CreateContactErrorType()
    : ErrorUnionGraphType("CreateContactError", typeof(InvalidPhoneNumberErrorType), typeof(InvalidFieldErrorType), typeof(DuplicateContactErrorType));

internal sealed class UpdateContactErrorType()
    : ErrorUnionGraphType("UpdateContactError", typeof(InvalidPhoneNumberErrorType), typeof(InvalidFieldErrorType), typeof(DuplicateContactErrorType), typeof(NotFoundErrorType));

internal sealed class DeleteContactErrorType() : ErrorUnionGraphType("DeleteContactError", typeof(NotFoundErrorType));

internal sealed class CreateContactPayloadType() : PayloadGraphType<ContactType, CreateContactErrorType>("CreateContactPayload", "contact", "The new contact.");

internal sealed class UpdateContactPayloadType() : PayloadGraphType<ContactType, UpdateContactErrorType>("UpdateContactPayload", "contact", "The contact as changed.");

internal sealed class DeleteContactPayloadType() : PayloadGraphType<ContactType, DeleteContactErrorType>("DeleteContactPayload", "contact", "The contact as it was before deletion.");
