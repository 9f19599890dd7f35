using GraphQL.Types;

namespace Crm.GraphQL.Server.Conventions;

/// <summary>Relay's <c>interface Node</c>: any object with a global id can be refetched by it.</summary>
internal sealed class NodeInterfaceType : InterfaceGraphType
{
    public NodeInterfaceType()
    {
        Name = "Node";
        Description = "An object with a global id, refetchable with node(id:).";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id: it names the type and the key.");
    }
}
