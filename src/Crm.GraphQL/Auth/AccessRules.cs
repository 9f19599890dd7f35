using Crm.Data.Users;
using Crm.GraphQL.Server.Execution;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Crm.GraphQL.Auth;

/// <summary>
/// Who may select a field, declared next to the field and enforced before execution by <see cref="AccessValidationRule"/>.
/// Every root field must declare one; a root field without a rule is treated as admin-only and fails the schema test.
/// </summary>
public static class AccessRules
{
    public const string MetadataKey = "crm:access";
    public const string PublicAccess = "public";

    /// <summary>No authentication needed: only login-related operations.</summary>
    public static FieldBuilder<TSource, TReturn> Public<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) => With(field, PublicAccess);

    /// <summary>An authenticated caller with at least this role.</summary>
    public static FieldBuilder<TSource, TReturn> RequireRole<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, CrmRole role) => With(field, role);

    /// <summary>The declared rule: <see cref="PublicAccess"/>, a <see cref="CrmRole"/>, or null when undeclared.</summary>
    public static object? AccessRule(this IFieldType field) => field.GetMetadata<object?>(MetadataKey);

    private static FieldBuilder<TSource, TReturn> With<TSource, TReturn>(FieldBuilder<TSource, TReturn> field, object rule)
    {
        field.FieldType.Metadata[MetadataKey] = rule;
        return field;
    }
}

internal sealed class AccessValidationRule : ValidationRuleBase
{
    public static readonly AccessValidationRule Instance = new();

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLField>((field, ctx) =>
        {
            var name = field.Name.StringValue;
            if (name == "__typename")
            {
                return;
            }

            var definition = ctx.TypeInfo.GetFieldDef();
            var parent = ctx.TypeInfo.GetParentType();
            var isRoot = parent is not null && (parent == ctx.Schema.Query || parent == ctx.Schema.Mutation || parent == ctx.Schema.Subscription);
            object? rule = name is "__schema" or "__type"
                ? CrmRole.Viewer // introspection: for callers we know; anonymous integrators have schema.graphql
                : definition?.AccessRule() ?? (isRoot ? CrmRole.Admin : null);
            if (rule is null or AccessRules.PublicAccess)
            {
                return;
            }

            var role = ctx.User.Role();
            if (role is null)
            {
                ctx.ReportError(new AccessDeniedError(ctx.Document.Source, field, authenticated: false));
            }
            else if (rule is CrmRole required && role < required)
            {
                ctx.ReportError(new AccessDeniedError(ctx.Document.Source, field, authenticated: true));
            }
        }));
}

/// <summary>AUTH_NOT_AUTHENTICATED (HTTP 401) or AUTH_NOT_AUTHORIZED (403), before anything executes.</summary>
public sealed class AccessDeniedError : ValidationError, IAccessDeniedError
{
    public AccessDeniedError(GraphQLParser.ROM source, GraphQLField field, bool authenticated)
        : base(source, null, authenticated
            ? $"Your role may not use '{field.Name.StringValue}'."
            : $"Sign in or send an API key to use '{field.Name.StringValue}'.", field)
    {
        Code = authenticated ? "AUTH_NOT_AUTHORIZED" : "AUTH_NOT_AUTHENTICATED";
        Authenticated = authenticated;
    }

    public bool Authenticated { get; }
}
