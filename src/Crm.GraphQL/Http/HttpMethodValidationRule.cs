using GraphQL.Validation;
using GraphQLParser.AST;

namespace Crm.GraphQL.Http;

/// <summary>GET is for queries only: a mutation over GET could be triggered by a link or an image tag.</summary>
internal sealed class HttpGetValidationRule : ValidationRuleBase
{
    public static readonly HttpGetValidationRule Instance = new();

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        context.Operation.Operation == OperationType.Query
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
