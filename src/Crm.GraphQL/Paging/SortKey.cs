using System.Linq.Expressions;

namespace Crm.GraphQL.Paging;

/// <summary>One key of a keyset ordering: how to read it in SQL and in memory, and which way it runs.</summary>
public sealed class SortKey<T>
{
    private SortKey(LambdaExpression selector, bool descending)
    {
        Selector = selector;
        Descending = descending;
        KeyType = selector.ReturnType;
        var boxed = Expression.Convert(selector.Body, typeof(object));
        Read = Expression.Lambda<Func<T, object?>>(boxed, selector.Parameters).Compile();
        Name = $"{selector.Body}:{(descending ? "D" : "A")}";
    }

    public LambdaExpression Selector { get; }

    public bool Descending { get; }

    public Type KeyType { get; }

    /// <summary>Reads the key from a loaded row, to build its cursor.</summary>
    public Func<T, object?> Read { get; }

    /// <summary>Stable text naming the key, so a cursor minted for one ordering is refused by another.</summary>
    public string Name { get; }

    public static SortKey<T> Asc<TKey>(Expression<Func<T, TKey>> selector) => new(selector, descending: false);

    public static SortKey<T> Desc<TKey>(Expression<Func<T, TKey>> selector) => new(selector, descending: true);
}
