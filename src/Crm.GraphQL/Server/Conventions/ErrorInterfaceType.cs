using GraphQL.Types;

namespace Crm.GraphQL.Server.Conventions;

/// <summary>Hot Chocolate's mutation-convention <c>interface Error</c>, implemented by every payload error.</summary>
internal sealed class ErrorInterfaceType : InterfaceGraphType
{
    public ErrorInterfaceType()
    {
        Name = "Error";
        Description = "A business rule refused a mutation. Nothing was written.";
        Field<NonNullGraphType<StringGraphType>>("message").Description("What went wrong, for people.");
    }
}
