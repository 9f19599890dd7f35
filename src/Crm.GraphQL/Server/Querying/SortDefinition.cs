using System.Linq.Expressions;
using GraphQL.Types;

namespace Crm.GraphQL.Server.Querying;

internal enum SortDirection
{
    Asc,
    Desc,
}

internal sealed class SortEnumType : EnumerationGraphType<SortDirection>
{
    public SortEnumType()
    {
        Name = "SortEnumType";
        Description = "Sort direction.";
    }
}

internal interface ISortField
{
    string Name { get; }

    string Description { get; }

    Type GraphType { get; }

    IEnumerable<(Expression Key, bool Descending)> Keys(Expression instance, object value);
}

/// <summary>
/// What a list may be ordered by: <c>order: [{ lastName: ASC }, { contact: { lastName: DESC } }]</c>. The keys feed the
/// keyset pager, which always appends the entity's key so the order is total and paging stable.
/// </summary>
internal sealed class SortDefinition<T>
{
    private readonly List<ISortField> _fields = [];

    public IReadOnlyList<ISortField> Fields => _fields;

    public SortDefinition<T> Field<TKey>(string name, Expression<Func<T, TKey>> selector, string description)
    {
        _fields.Add(new KeyField(name, description, selector));
        return this;
    }

    public SortDefinition<T> Object<TNested>(string name, Expression<Func<T, TNested?>> selector, Type sortType, Func<SortDefinition<TNested>> nested, string description)
        where TNested : class
    {
        _fields.Add(new NestedField<TNested>(name, description, sortType, selector, nested));
        return this;
    }

    /// <summary>The sort keys for an <c>order</c> argument, then <paramref name="tiebreak"/>; the default order when none is given.</summary>
    public IReadOnlyList<SortKey<T>> Compile(IEnumerable<object?>? order, IReadOnlyList<SortKey<T>> defaultOrder, SortKey<T> tiebreak)
    {
        var row = Expression.Parameter(typeof(T), "row");
        var keys = (order ?? [])
            .OfType<IDictionary<string, object?>>()
            .SelectMany(entry => Keys(row, entry))
            .SelectMany(k => SortKey<T>.For(Expression.Lambda(k.Key, row), k.Descending))
            .ToList();
        return keys.Count == 0 ? defaultOrder : [.. keys, tiebreak];
    }

    internal IEnumerable<(Expression Key, bool Descending)> Keys(Expression instance, IDictionary<string, object?> entry) =>
        entry.Where(e => e.Value is not null).SelectMany(e => _fields.First(f => f.Name == e.Key).Keys(instance, e.Value!));

    private sealed class KeyField(string name, string description, LambdaExpression selector) : ISortField
    {
        public string Name { get; } = name;

        public string Description { get; } = description;

        public Type GraphType => typeof(SortEnumType);

        public IEnumerable<(Expression Key, bool Descending)> Keys(Expression instance, object value) =>
            [(Keyset.Rebind(selector, instance), (SortDirection)value == SortDirection.Desc)];
    }

    private sealed class NestedField<TNested>(string name, string description, Type graphType, LambdaExpression selector, Func<SortDefinition<TNested>> nested) : ISortField
    {
        public string Name { get; } = name;

        public string Description { get; } = description;

        public Type GraphType { get; } = graphType;

        public IEnumerable<(Expression Key, bool Descending)> Keys(Expression instance, object value) =>
            nested().Keys(Keyset.Rebind(selector, instance), (IDictionary<string, object?>)value);
    }
}

/// <summary><c>XSortInput</c>: one field per declared sort key or related entity.</summary>
internal abstract class SortInputGraphType<T> : InputObjectGraphType
{
    protected SortInputGraphType(string name, SortDefinition<T> definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Name = name;
        Description = "One step of an ordering: set one field per list item, e.g. order: [{ lastName: ASC }, { firstName: ASC }].";
        foreach (var field in definition.Fields)
        {
            Field(field.Name, field.GraphType).Description(field.Description);
        }
    }
}
