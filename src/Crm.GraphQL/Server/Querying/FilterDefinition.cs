using System.Collections;
using System.Linq.Expressions;
using Crm.GraphQL.Server.Conventions;

namespace Crm.GraphQL.Server.Querying;

/// <summary>One filterable field: its name in <c>XFilterInput</c>, its input type, and how it becomes an expression.</summary>
internal interface IFilterField
{
    string Name { get; }

    string Description { get; }

    /// <summary>The graph type of the field in the filter input (an operation input or another filter input).</summary>
    Type GraphType { get; }

    Expression Build(Expression instance, IDictionary<string, object?> operations);
}

/// <summary>
/// The whitelist of what may be filtered on an entity, Hot Chocolate style. Filters compile to one expression tree that
/// EF Core translates to SQL, so the database does the work; a field that is not declared is not in the input type.
/// </summary>
internal sealed class FilterDefinition<T>
{
    private readonly List<IFilterField> _fields = [];

    public IReadOnlyList<IFilterField> Fields => _fields;

    public FilterDefinition<T> String(string name, Expression<Func<T, string?>> selector, string description) =>
        Add(new Field(name, description, typeof(StringOperationFilterInputType), selector, FilterOperations.String));

    public FilterDefinition<T> StringList(string name, Expression<Func<T, IEnumerable<string>>> selector, string description) =>
        Add(new Field(name, description, typeof(ListStringOperationFilterInputType), selector, FilterOperations.StringList));

    public FilterDefinition<T> Comparable<TValue>(string name, Expression<Func<T, TValue>> selector, Type operationType, string description) =>
        Add(new Field(name, description, operationType, selector, (member, ops) => FilterOperations.Comparable(member, ops, v => v)));

    /// <summary>A key exposed as a global ID: values are decoded and must name <paramref name="nodeType"/>.</summary>
    public FilterDefinition<T> Id(string name, Expression<Func<T, Guid>> selector, string nodeType, string description) =>
        Add(new Field(name, description, typeof(IdOperationFilterInputType), selector, (member, ops) => FilterOperations.Comparable(member, ops, v => NodeId.Decode((string)v!, nodeType))));

    public FilterDefinition<T> Boolean(string name, Expression<Func<T, bool>> selector, string description) =>
        Add(new Field(name, description, typeof(BooleanOperationFilterInputType), selector, (member, ops) => FilterOperations.Comparable(member, ops, v => v)));

    /// <summary>A related entity, filtered with its own definition (<c>contact: { lastName: { startsWith: "Sm" } }</c>).</summary>
    public FilterDefinition<T> Object<TNested>(string name, Expression<Func<T, TNested?>> selector, Type filterType, Func<FilterDefinition<TNested>> nested, string description)
        where TNested : class =>
        Add(new Field(name, description, filterType, selector, (member, where) => nested().Build(member, where)));

    /// <summary>A related collection: <c>some</c>, <c>all</c>, <c>none</c> take the item filter, <c>any</c> a boolean.</summary>
    public FilterDefinition<T> List<TItem>(string name, Expression<Func<T, IEnumerable<TItem>>> selector, Type listFilterType, Func<FilterDefinition<TItem>> item, string description) =>
        Add(new Field(name, description, listFilterType, selector, (member, ops) => FilterOperations.List(member, ops, item().Build)));

    /// <summary>The whole filter as a predicate; an empty filter matches everything.</summary>
    public Expression<Func<T, bool>> Compile(IDictionary<string, object?> where)
    {
        var row = Expression.Parameter(typeof(T), "row");
        return Expression.Lambda<Func<T, bool>>(Build(row, where), row);
    }

    internal Expression Build(Expression instance, IDictionary<string, object?> where)
    {
        Expression result = Expression.Constant(true);
        foreach (var (key, value) in where)
        {
            Expression term = key switch
            {
                "and" => Items(value).Select(w => Build(instance, w)).Aggregate((Expression)Expression.Constant(true), Expression.AndAlso),
                "or" => Items(value).Select(w => Build(instance, w)).DefaultIfEmpty(Expression.Constant(true)).Aggregate(Expression.OrElse),
                _ when value is IDictionary<string, object?> operations => _fields.First(f => f.Name == key).Build(instance, operations),
                _ => Expression.Constant(true), // an explicit null field filter means "no condition", as in Hot Chocolate
            };
            result = result is ConstantExpression { Value: true } ? term : Expression.AndAlso(result, term);
        }

        return result;
    }

    private FilterDefinition<T> Add(IFilterField field)
    {
        _fields.Add(field);
        return this;
    }

    private static IEnumerable<IDictionary<string, object?>> Items(object? value) =>
        value is IEnumerable items ? items.OfType<IDictionary<string, object?>>() : [];

    private sealed class Field(string name, string description, Type graphType, LambdaExpression selector, Func<Expression, IDictionary<string, object?>, Expression> build) : IFilterField
    {
        public string Name { get; } = name;

        public string Description { get; } = description;

        public Type GraphType { get; } = graphType;

        public Expression Build(Expression instance, IDictionary<string, object?> operations) =>
            build(Keyset.Rebind(selector, instance), operations);
    }
}
