using GraphQL.Types;

namespace Crm.GraphQL.Server.Conventions;

/// <summary>What a mutation returns: its entity, or why nothing was written; and a secret shown once, if any.</summary>
/// <remarks>The errors are the host's business exceptions, each with an <see cref="ErrorGraphType{TException}"/>.</remarks>
internal sealed record Payload(object? Value, IReadOnlyList<Exception>? Errors, string? Secret = null);

/// <summary>Hot Chocolate's mutation convention: <c>XPayload { entity errors: [XError!] }</c>.</summary>
internal abstract class PayloadGraphType<TValueType, TErrorUnion> : ObjectGraphType<Payload>
    where TValueType : IGraphType
    where TErrorUnion : UnionGraphType
{
    protected PayloadGraphType(string name, string valueField, string valueDescription)
    {
        Name = name;
        Description = "The result of a mutation: the entity, or errors and no change.";
        Field<TValueType>(valueField).Description(valueDescription).Resolve(ctx => ctx.Source.Value);
        Field<ListGraphType<NonNullGraphType<TErrorUnion>>>("errors").Description("Why nothing was written; null on success.").Resolve(ctx => ctx.Source.Errors);
    }
}

/// <summary>A union of the error types one mutation can return.</summary>
internal abstract class ErrorUnionGraphType : UnionGraphType
{
    protected ErrorUnionGraphType(string name, params Type[] errorTypes)
    {
        Name = name;
        Description = $"Why {char.ToLowerInvariant(name[0])}{name[1..^"Error".Length]} wrote nothing.";
        foreach (var type in errorTypes)
        {
            Type(type);
        }
    }
}

/// <summary>Payload errors: each business exception becomes an object type implementing <c>Error</c>.</summary>
internal abstract class ErrorGraphType<TException> : ObjectGraphType<TException>
    where TException : Exception
{
    protected ErrorGraphType(string name, string description)
    {
        Name = name;
        Description = description;
        Interface<ErrorInterfaceType>();
        Field<NonNullGraphType<StringGraphType>>("message").Description("What went wrong, for people.").Resolve(ctx => ctx.Source.Message);
    }
}
