using Crm.Data;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Schema;

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

internal sealed class NotFoundErrorType : ErrorGraphType<NotFoundException>
{
    public NotFoundErrorType()
        : base("NotFoundError", "Nothing exists with the given id.")
    {
        Field<NonNullGraphType<IdGraphType>>("id").Description("The id that was not found.").Resolve(ctx => NodeId.Encode(ctx.Source.TypeName, ctx.Source.Id));
    }
}
