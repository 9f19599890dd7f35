using Crm.Data;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Loading;
using GraphQL.Types;

namespace Crm.GraphQL.Schema;

/// <summary>Payload errors: each domain exception becomes an object type implementing <c>Error</c>.</summary>
internal abstract class ErrorGraphType<TException> : ObjectGraphType<TException>
    where TException : DomainException
{
    protected ErrorGraphType(string name, string description)
    {
        Name = name;
        Description = description;
        Interface<ErrorInterfaceType>();
        Field<NonNullGraphType<StringGraphType>>("message").Description("What went wrong, for people.").Resolve(ctx => ctx.Source.Message);
    }
}

internal sealed class InvalidPhoneNumberErrorType : ErrorGraphType<InvalidPhoneNumberException>
{
    public InvalidPhoneNumberErrorType()
        : base("InvalidPhoneNumberError", "The phone number cannot be a real number (too short, too long, or not digits).")
    {
        Field("phone", x => x.Input).Description("The number as given.");
    }
}

internal sealed class InvalidFieldErrorType : ErrorGraphType<InvalidFieldException>
{
    public InvalidFieldErrorType()
        : base("InvalidFieldError", "A field's value is malformed, such as an email address or time zone.")
    {
        Field(x => x.Field).Description("The input field at fault.");
    }
}

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

internal sealed class NotFoundErrorType : ErrorGraphType<NotFoundException>
{
    public NotFoundErrorType()
        : base("NotFoundError", "Nothing exists with the given id.")
    {
        Field<NonNullGraphType<IdGraphType>>("id").Description("The id that was not found.").Resolve(ctx => NodeId.Encode(ctx.Source.TypeName, ctx.Source.Id));
    }
}
