using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.Tests.Infrastructure;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Auth;

/// <summary>
/// Generated from the schema itself: every root field is called anonymously and with each role, and each answer must
/// match the field's declared rule. A field added without a rule fails here.
/// </summary>
public sealed class AccessRulesTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private ISchema Schema => Fixture.Factory.Services.GetRequiredService<ISchema>();

    private IEnumerable<(string Operation, IFieldType Field)> RootFields() =>
        new[] { ("query", Schema.Query), ("mutation", Schema.Mutation), ("subscription", Schema.Subscription) }
            .Where(root => root.Item2 is not null)
            .SelectMany(root => root.Item2!.Fields.Select(f => (root.Item1, (IFieldType)f)));

    [Fact]
    public void EveryRootFieldDeclaresAnAccessRule()
    {
        var undeclared = RootFields().Where(f => f.Field.AccessRule() is null).Select(f => f.Field.Name).ToList();

        Assert.True(undeclared.Count == 0, "Root fields without .Public() or .RequireRole(...): " + string.Join(", ", undeclared));
    }

    [Fact]
    public async Task EveryRootFieldAnswersAsItsRuleSaysForAnonymousCallersAndEachRole()
    {
        var callers = new List<(CrmRole? Role, GraphQLClient Client)> { (null, Anonymous) };
        foreach (var role in Enum.GetValues<CrmRole>())
        {
            callers.Add((role, await Fixture.ClientAsAsync(role)));
        }

        var mismatches = new List<string>();
        foreach (var (operation, field) in RootFields())
        {
            var document = Document(operation, field);
            foreach (var (role, client) in callers)
            {
                var response = await client.PostAsync(document);
                var expected = Expected(field.AccessRule(), role);
                var actual = response.ErrorCode is "AUTH_NOT_AUTHENTICATED" or "AUTH_NOT_AUTHORIZED" ? response.ErrorCode : null;
                if (expected != actual)
                {
                    mismatches.Add($"{field.Name} as {role?.ToString() ?? "anonymous"}: expected {expected ?? "access"}, got {actual ?? "access"} ({response.Body})");
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static string? Expected(object? rule, CrmRole? role) => rule switch
    {
        AccessRules.PublicAccess => null,
        CrmRole required when role is null => "AUTH_NOT_AUTHENTICATED",
        CrmRole required when role < required => "AUTH_NOT_AUTHORIZED",
        CrmRole => null,
        _ => role is null ? "AUTH_NOT_AUTHENTICATED" : "AUTH_NOT_AUTHORIZED",
    };

    /// <summary>A valid document for the field: required arguments get placeholder values, objects select __typename.</summary>
    private static string Document(string operation, IFieldType field)
    {
        var args = field.Arguments?.Where(a => a.ResolvedType is NonNullGraphType).Select(a => $"{a.Name}: {Value(a.ResolvedType!)}").ToList() ?? [];
        var call = args.Count > 0 ? $"{field.Name}({string.Join(", ", args)})" : field.Name;
        var selection = Unwrap(field.ResolvedType!) is ScalarGraphType or EnumerationGraphType ? string.Empty : " { __typename }";
        return $"{operation} {{ {call}{selection} }}";
    }

    private static string Value(IGraphType type) => Unwrap(type) switch
    {
        IdGraphType or StringGraphType => "\"placeholder\"",
        IntGraphType => "1",
        BooleanGraphType => "true",
        DateTimeOffsetGraphType => "\"2030-01-01T00:00:00Z\"",
        EnumerationGraphType e => e.Values.First().Name,
        IInputObjectGraphType input => "{ " + string.Join(", ", input.Fields.Where(f => f.ResolvedType is NonNullGraphType).Select(f => $"{f.Name}: {Value(f.ResolvedType!)}")) + " }",
        ListGraphType => "[]",
        var other => throw new NotSupportedException($"No placeholder for {other.Name}"),
    };

    private static IGraphType Unwrap(IGraphType type) => type switch
    {
        NonNullGraphType n => Unwrap(n.ResolvedType!),
        ListGraphType l when l.ResolvedType is not null => l,
        _ => type,
    };
}
