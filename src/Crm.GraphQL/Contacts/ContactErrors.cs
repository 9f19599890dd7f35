using Crm.Data;
using Crm.Data.Contacts;
using Crm.GraphQL.Schema;
using GraphQL.Types;

namespace Crm.GraphQL.Contacts;

/// <summary>What a contact mutation returns: the contact, or why nothing was written.</summary>
internal sealed record ContactPayload(Contact? Contact, IReadOnlyList<DomainException>? Errors);

internal abstract class ContactPayloadType<TErrorUnion> : ObjectGraphType<ContactPayload>
    where TErrorUnion : UnionGraphType
{
    protected ContactPayloadType(string name, string contactDescription)
    {
        Name = name;
        Description = "The result of a contact mutation: the contact, or errors and no change.";
        Field(x => x.Contact, type: typeof(ContactType)).Description(contactDescription);
        Field(x => x.Errors, type: typeof(ListGraphType<NonNullGraphType<TErrorUnion>>)).Description("Why nothing was written; null on success.");
    }
}

internal sealed class CreateContactErrorType : UnionGraphType
{
    public CreateContactErrorType()
    {
        Name = "CreateContactError";
        Description = "Why createContact wrote nothing.";
        Type<InvalidPhoneNumberErrorType>();
        Type<InvalidFieldErrorType>();
        Type<DuplicateContactErrorType>();
    }
}

internal sealed class UpdateContactErrorType : UnionGraphType
{
    public UpdateContactErrorType()
    {
        Name = "UpdateContactError";
        Description = "Why updateContact wrote nothing.";
        Type<InvalidPhoneNumberErrorType>();
        Type<InvalidFieldErrorType>();
        Type<DuplicateContactErrorType>();
        Type<NotFoundErrorType>();
    }
}

internal sealed class DeleteContactErrorType : UnionGraphType
{
    public DeleteContactErrorType()
    {
        Name = "DeleteContactError";
        Description = "Why deleteContact deleted nothing.";
        Type<NotFoundErrorType>();
    }
}

internal sealed class CreateContactPayloadType() : ContactPayloadType<CreateContactErrorType>("CreateContactPayload", "The new contact.");

internal sealed class UpdateContactPayloadType() : ContactPayloadType<UpdateContactErrorType>("UpdateContactPayload", "The contact as changed.");

internal sealed class DeleteContactPayloadType() : ContactPayloadType<DeleteContactErrorType>("DeleteContactPayload", "The contact as it was before deletion.");
