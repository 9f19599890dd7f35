using Crm.Data.PhoneNumbers;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;

namespace Crm.GraphQL.PhoneNumbers;

internal sealed class PhoneNumberType : ObjectGraphType<PhoneNumber>
{
    public PhoneNumberType()
    {
        Name = "PhoneNumber";
        Description = "One of the business's OpenPhone lines.";
        Interface<NodeInterfaceType>();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.OpenPhoneId).Description("OpenPhone's id of the line (PN…).");
        Field(x => x.Number).Description("The line's number in E.164.");
        Field(x => x.Name, nullable: true).Description("The line's label in OpenPhone.");
        Field(x => x.IsActive).Description("Whether the line is in use.");
    }
}

internal sealed class PhoneNumbersConnectionType() : ConnectionGraphType<PhoneNumberType, PhoneNumber>("PhoneNumbers", "A page of phone numbers.");
