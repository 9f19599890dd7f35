using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQL.Validation;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Server.Execution;

/// <summary>
/// Runs one GraphQL operation for any transport — HTTP, either WebSocket subprotocol, graphql-sse — against the
/// schema in DI, so the caller, its user context, the limits and their errors are the same whichever way it came.
/// </summary>
internal sealed class OperationExecutor(IDocumentExecuter executer, ISchema schema, IUserContextBuilder userContext, IOptions<GraphQLServerOptions> options)
{
    /// <param name="request">The parsed request.</param>
    /// <param name="http">The request, or the WebSocket's upgrade request: its user is the caller.</param>
    /// <param name="services">Where resolvers find scoped services: the request's, or a scope of the operation's own.</param>
    /// <param name="transportRule">A rule only this transport imposes (GET: no mutations), on top of the schema's.</param>
    /// <param name="cancellationToken">Ends the operation, and a subscription's stream.</param>
    public async Task<ExecutionResult> ExecuteAsync(GraphQLRequest request, HttpContext http, IServiceProvider services, IValidationRule? transportRule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(http);
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Schema = schema,
            Query = request.Query,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            RequestServices = services,
            User = http.User,
            UserContext = userContext.Build(http),
            CancellationToken = cancellationToken,
            ValidationRules = transportRule is null ? null : [.. DocumentValidator.CoreRules, transportRule],
        });
        ClarifyParserDepthError(result, options.Value.MaxParserDepth);
        return result;
    }

    /// <summary>graphql-dotnet reports the parser's depth limit as "Error executing document."; say which limit it was.</summary>
    private static void ClarifyParserDepthError(ExecutionResult result, int maxDepth)
    {
        if (result.Errors?.Any(e => e.Code == "MAX_DEPTH_EXCEEDED") == true)
        {
            result.Errors = [.. result.Errors.Select(e => e.Code == "MAX_DEPTH_EXCEEDED"
                ? new ExecutionError($"The document is nested deeper than the parser's limit of {maxDepth} levels.") { Code = e.Code }
                : e)];
        }
    }
}
