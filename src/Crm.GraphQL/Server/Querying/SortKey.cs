using System.Linq.Expressions;

namespace Crm.GraphQL.Server.Querying;

/// <summary>One key of a keyset ordering: an expression the database orders and seeks on, and its direction.</summary>
public sealed class SortKey<T>
{
    private SortKey(LambdaExpression selector, bool descending)
    {
        Selector = selector;
        Descending = descending;
        KeyType = selector.ReturnType;
        Name = $"{selector.Body}:{(descending ? "D" : "A")}";
    }

    public LambdaExpression Selector { get; }

    public bool Descending { get; }

    public Type KeyType { get; }

    /// <summary>Stable text naming the key, so a cursor minted for one ordering is refused by another.</summary>
    public string Name { get; }

    public static SortKey<T> Asc<TKey>(Expression<Func<T, TKey>> selector) => new(selector, descending: false);

    public static SortKey<T> Desc<TKey>(Expression<Func<T, TKey>> selector) => new(selector, descending: true);

    /// <summary>
    /// Keys for any selector. A nullable one becomes two keys, "is null" then the value with nulls replaced, because a
    /// seek predicate cannot compare NULL; nulls sort last ascending and first descending, as PostgreSQL does.
    /// </summary>
    public static IEnumerable<SortKey<T>> For(LambdaExpression selector, bool descending)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var body = selector.Body;
        var underlying = Nullable.GetUnderlyingType(body.Type);
        if (underlying is null && body.Type.IsValueType)
        {
            yield return new(selector, descending);
            yield break;
        }

        var isNull = Expression.Condition(Expression.Equal(body, Expression.Constant(null, body.Type)), Expression.Constant(1), Expression.Constant(0));
        yield return new(Expression.Lambda(isNull, selector.Parameters), descending);
        Expression fallback = body.Type == typeof(string) ? Expression.Constant(string.Empty) : Expression.Default(underlying!);
        yield return new(Expression.Lambda(Expression.Coalesce(body, fallback), selector.Parameters), descending);
    }
}
