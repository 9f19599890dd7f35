using GraphQL.Validation;
using GraphQLParser.AST;

namespace Crm.GraphQL.Server.Http;

/// <summary>GET is for reads only: a mutation over GET could be triggered by a link or an image tag. Subscriptions read (graphql-sse allows GET).</summary>
internal sealed class HttpGetValidationRule : ValidationRuleBase
{
    public static readonly HttpGetValidationRule Instance = new();

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        context.Operation.Operation is OperationType.Query or OperationType.Subscription
            ? default
            : new(new MatchingNodeVisitor<GraphQLOperationDefinition>((operation, ctx) =>
                ctx.ReportError(new HttpMethodValidationError(ctx.Document.Source, operation))));
}

internal sealed class HttpMethodValidationError : ValidationError
{
    public HttpMethodValidationError(GraphQLParser.ROM source, ASTNode node)
        : base(source, null, "Only queries may be sent with GET; send mutations with POST.", node)
    {
        Code = "HTTP_METHOD_NOT_ALLOWED";
    }
}
