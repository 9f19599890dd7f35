using System.Collections;
using System.Text.Json.Nodes;
using GraphQL.Types;

namespace Crm.GraphQL.Server.Execution;

/// <summary>
/// A coerced input value written back as the JSON a client would send for it, so it can be stored and coerced again
/// later by <see cref="ArgumentCoercion"/> (a saved filter): scalars and enums through their graph type's own
/// serialization (an enum by its GraphQL name, an instant in ISO 8601), input objects by their fields' types.
/// </summary>
public static class InputJson
{
    public static JsonNode? Write(object? value, IGraphType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (value is null)
        {
            return null;
        }

        switch (type)
        {
            case NonNullGraphType nonNull:
                return Write(value, nonNull.ResolvedType!);
            case ListGraphType list when value is IEnumerable items and not string:
                return new JsonArray([.. items.Cast<object?>().Select(item => Write(item, list.ResolvedType!))]);
            case IInputObjectGraphType input when value is IDictionary<string, object?> fields:
                var json = new JsonObject();
                foreach (var (name, field) in fields)
                {
                    var definition = input.GetField(name) ?? throw new ArgumentException($"{input.Name} has no field '{name}'.", nameof(value));
                    json[name] = Write(field, definition.ResolvedType!);
                }

                return json;
            case ScalarGraphType scalar:
                return JsonValue.Create(scalar.Serialize(value));
            default:
                throw new ArgumentException($"A {value.GetType().Name} is not a value of {type.Name}.", nameof(value));
        }
    }
}
