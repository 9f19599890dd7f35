using Crm.Data;
using Crm.Data.Audit;
using Crm.GraphQL.Server.Conventions;
using GraphQL;

namespace Crm.GraphQL.Schema;

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

    /// <summary>The caller for the audit log; every transport puts it in the user context (<see cref="Auth.CrmGraphQLCaller"/>).</summary>
    public static Actor Actor(this IResolveFieldContext context) =>
        context.UserContext.TryGetValue(nameof(Actor), out var actor) && actor is Actor known
            ? known
            : new Actor(AuditActorKind.Anonymous, null, null, null);
}
