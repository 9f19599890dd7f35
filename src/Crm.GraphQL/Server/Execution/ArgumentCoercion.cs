using System.Text.Json;
using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Crm.GraphQL.Server.Execution;

/// <summary>Arguments coerced by <see cref="ArgumentCoercion"/>, or why they could not be.</summary>
public sealed class CoercedArguments(IReadOnlyDictionary<string, object?> values, IReadOnlyList<ExecutionError> errors)
{
    /// <summary>Empty when every argument was coerced; otherwise coded errors, as an operation's variables would get.</summary>
    public IReadOnlyList<ExecutionError> Errors { get; } = errors;

    /// <summary>The coerced value, as a resolver of the field would read it; null when not given, null, or not a <typeparamref name="T"/>.</summary>
    public T? Get<T>(string name)
        where T : class => values.TryGetValue(name, out var value) ? value as T : null;
}

/// <summary>
/// Reads JSON that arrives outside a GraphQL document (an endpoint's query string) as arguments of a root query field,
/// exactly as the engine coerces an operation's variables: the JSON is read by the GraphQL serializer, then coerced
/// by graphql-dotnet's own <see cref="ValidationContext.GetVariablesValuesAsync"/> against a one-line operation that
/// declares one variable per argument, of the argument's type. Scalars are parsed, enums named, unknown fields and
/// wrong types refused, input objects built by their <c>ParseDictionary</c>: what comes out is what the field's
/// resolver gets for <c>field(where: $where)</c>, so a REST endpoint shares the field's input types instead of
/// parsing the JSON a second way.
/// </summary>
public sealed class ArgumentCoercion(ISchema schema, IGraphQLTextSerializer serializer)
{
    /// <param name="field">A field of the query type, such as <c>contacts</c>.</param>
    /// <param name="json">JSON text per argument name; a null or empty text means the argument was not given.</param>
    /// <param name="cancellationToken">Ends the coercion.</param>
    /// <exception cref="ArgumentException">The field or one of the arguments does not exist: a mistake of the caller's code.</exception>
    public async Task<CoercedArguments> CoerceAsync(string field, IReadOnlyDictionary<string, string?> json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Count == 0)
        {
            return new CoercedArguments(new Dictionary<string, object?>(), []);
        }

        schema.Initialize();
        var definition = schema.Query.GetField(field) ?? throw new ArgumentException($"The query type has no field '{field}'.", nameof(field));
        var declarations = json.Keys.Select(name =>
        {
            var argument = definition.Arguments?.Find(name) ?? throw new ArgumentException($"'{field}' has no argument '{name}'.", nameof(json));
            return $"${name}: {Reference(argument.ResolvedType!)}";
        });

        var given = new JsonObject();
        foreach (var (name, text) in json.Where(a => !string.IsNullOrEmpty(a.Value)))
        {
            try
            {
                given[name] = JsonNode.Parse(text!);
            }
            catch (JsonException)
            {
                return Failed(new ExecutionError($"'{name}' is not valid JSON.") { Code = "INVALID_JSON" });
            }
        }

        var document = GraphQLParser.Parser.Parse($"query({string.Join(", ", declarations)}) {{ __typename }}");
        var context = new ValidationContext
        {
            Schema = schema,
            Document = document,
            Operation = document.Definitions.OfType<GraphQLOperationDefinition>().Single(),
            Variables = serializer.Deserialize<Inputs>(given.ToJsonString()) ?? Inputs.Empty,
            CancellationToken = cancellationToken,
        };
        var (variables, errors) = await context.GetVariablesValuesAsync();
        if (errors is { Count: > 0 })
        {
            // Without locations: they would point into the operation written above, which the caller never saw.
            return Failed([.. errors.Select(e => new ExecutionError(e.Message) { Code = e.Code })]);
        }

        return new CoercedArguments(variables.ToDictionary(v => v.Name, v => v.Value), []);
    }

    private static CoercedArguments Failed(params IReadOnlyList<ExecutionError> errors) => new(new Dictionary<string, object?>(), errors);

    /// <summary>The type as a variable definition writes it: <c>[ContactSortInput!]</c>.</summary>
    private static string Reference(IGraphType type) => type switch
    {
        NonNullGraphType nonNull => Reference(nonNull.ResolvedType!) + "!",
        ListGraphType list => $"[{Reference(list.ResolvedType!)}]",
        _ => type.Name,
    };
}
