using Crm.Data;
using Crm.Data.Audit;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Schema;

/// <summary>What a mutation returns: its entity, or why nothing was written; and a secret shown once, if any.</summary>
internal sealed record Payload(object? Value, IReadOnlyList<DomainException>? Errors, string? Secret = null);

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

internal static class MutationConventions
{
    /// <summary>Runs a domain operation; its business failures become payload errors, not GraphQL errors.</summary>
    public static async Task<object?> RunAsync(Func<Task<Payload>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            return await operation();
        }
        catch (DomainException error)
        {
            return new Payload(null, [error]);
        }
    }

    /// <summary>The caller for the audit log; every transport puts it in the user context.</summary>
    public static Actor Actor(this IResolveFieldContext context) =>
        context.UserContext.TryGetValue(nameof(Actor), out var actor) && actor is Actor known
            ? known
            : new Actor(AuditActorKind.Anonymous, null, null, null);
}
