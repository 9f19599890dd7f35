using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Server.Execution;

/// <summary>
/// Aliases let one small document ask for the same expensive field thousands of times; the complexity budget counts
/// them, but an explicit cap gives a clearer error and stops floods of cheap fields too.
/// </summary>
internal sealed class AliasLimitValidationRule(IOptions<GraphQLServerOptions> options) : ValidationRuleBase
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var max = options.Value.MaxAliases;
        var count = 0;
        return new(new MatchingNodeVisitor<GraphQLField>((field, ctx) =>
        {
            if (field.Alias is not null && ++count == max + 1)
            {
                ctx.ReportError(new ValidationError(ctx.Document.Source, null, $"The document uses more than {max} aliases.", field) { Code = "ALIAS_LIMIT_EXCEEDED" });
            }
        }));
    }
}
