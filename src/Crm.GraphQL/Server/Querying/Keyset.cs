using System.Linq.Expressions;
using GraphQL;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Server.Querying;

/// <summary>A row with the values of its sort keys, read in the same query.</summary>
public sealed class KeyedRow<T>
{
    public required T Row { get; init; }

    public required object?[] Keys { get; init; }
}

public sealed record PageRequest(int? First, string? After, int? Last, string? Before);

public sealed record Edge<T>(string Cursor, T Node);

public sealed record PageInfo(bool HasNextPage, bool HasPreviousPage, string? StartCursor, string? EndCursor);

/// <summary>A page of a connection; the total is counted only if a client selects it.</summary>
public sealed class Page<T>(IReadOnlyList<Edge<T>> edges, PageInfo pageInfo, Func<CancellationToken, Task<int>> count)
{
    public IReadOnlyList<Edge<T>> Edges { get; } = edges;

    public PageInfo PageInfo { get; } = pageInfo;

    public Task<int> CountAsync(CancellationToken cancellationToken) => count(cancellationToken);
}

/// <summary>
/// Keyset (seek) paging: the cursor carries the sort keys of its row and the next page is a
/// <c>WHERE (k1, k2) &gt; (v1, v2)</c> seek on the ordering's index, so page 500 costs what page 1 costs.
/// </summary>
public static class Keyset
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static async Task<Page<T>> PageAsync<T>(IQueryable<T> source, IReadOnlyList<SortKey<T>> keys, PageRequest request, CancellationToken cancellationToken)
    {
        if (request.First is not null && request.Last is not null)
        {
            throw new ExecutionError("Pass either first or last, not both.") { Code = "PAGING_ARGUMENTS_CONFLICT" };
        }

        var query = source;
        if (request.After is not null)
        {
            query = query.Where(Seek(keys, Cursor.Decode(request.After, keys), forward: true));
        }

        if (request.Before is not null)
        {
            query = query.Where(Seek(keys, Cursor.Decode(request.Before, keys), forward: false));
        }

        var backward = request.Last is not null;
        var size = request.Last ?? request.First ?? DefaultPageSize;
        // The keys come back from the database beside each row: cursors never depend on navigations being loaded.
        var rows = await WithKeys(Order(query, keys, reverse: backward), keys).Take(size + 1).ToListAsync(cancellationToken);
        var more = rows.Count > size;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (backward)
        {
            rows.Reverse();
        }

        var edges = rows.Select(r => new Edge<T>(Cursor.Encode(r.Keys, keys), r.Row)).ToList();
        var info = new PageInfo(
            HasNextPage: backward ? request.Before is not null : more,
            HasPreviousPage: backward ? more : request.After is not null,
            StartCursor: edges.FirstOrDefault()?.Cursor,
            EndCursor: edges.LastOrDefault()?.Cursor);
        return new Page<T>(edges, info, ct => source.CountAsync(ct));
    }

    private static IQueryable<T> Order<T>(IQueryable<T> source, IReadOnlyList<SortKey<T>> keys, bool reverse)
    {
        var expression = source.Expression;
        for (var i = 0; i < keys.Count; i++)
        {
            var descending = keys[i].Descending != reverse;
            var method = (i == 0, descending) switch
            {
                (true, false) => nameof(Queryable.OrderBy),
                (true, true) => nameof(Queryable.OrderByDescending),
                (false, false) => nameof(Queryable.ThenBy),
                (false, true) => nameof(Queryable.ThenByDescending),
            };
            expression = Expression.Call(typeof(Queryable), method, [typeof(T), keys[i].KeyType], expression, Expression.Quote(keys[i].Selector));
        }

        return source.Provider.CreateQuery<T>(expression);
    }

    private static IQueryable<KeyedRow<T>> WithKeys<T>(IQueryable<T> source, IReadOnlyList<SortKey<T>> keys)
    {
        var row = Expression.Parameter(typeof(T), "row");
        var values = keys.Select(k => (Expression)Expression.Convert(Rebind(k.Selector, row), typeof(object)));
        var body = Expression.MemberInit(
            Expression.New(typeof(KeyedRow<T>)),
            Expression.Bind(typeof(KeyedRow<T>).GetProperty(nameof(KeyedRow<T>.Row))!, row),
            Expression.Bind(typeof(KeyedRow<T>).GetProperty(nameof(KeyedRow<T>.Keys))!, Expression.NewArrayInit(typeof(object), values)));
        return source.Select(Expression.Lambda<Func<T, KeyedRow<T>>>(body, row));
    }

    /// <summary>(k1 after v1) OR (k1 = v1 AND k2 after v2) OR …, "after" following each key's direction.</summary>
    private static Expression<Func<T, bool>> Seek<T>(IReadOnlyList<SortKey<T>> keys, object?[] values, bool forward)
    {
        var row = Expression.Parameter(typeof(T), "row");
        Expression? any = null;
        Expression? equalSoFar = null;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = Rebind(keys[i].Selector, row);
            var step = FilterOperations.Compare(key, values[i], keys[i].Descending == forward ? ExpressionType.LessThan : ExpressionType.GreaterThan);
            var term = equalSoFar is null ? step : Expression.AndAlso(equalSoFar, step);
            any = any is null ? term : Expression.OrElse(any, term);
            var equal = Expression.Equal(key, FilterOperations.Parameter(values[i], keys[i].KeyType));
            equalSoFar = equalSoFar is null ? equal : Expression.AndAlso(equalSoFar, equal);
        }

        // The OR form is exact but PostgreSQL cannot seek an index with it; a redundant range on the leading key can,
        // so a deep page costs an index descent, not a scan of every row before it.
        var leading = FilterOperations.Compare(Rebind(keys[0].Selector, row), values[0], keys[0].Descending == forward ? ExpressionType.LessThanOrEqual : ExpressionType.GreaterThanOrEqual);
        return Expression.Lambda<Func<T, bool>>(Expression.AndAlso(leading, any!), row);
    }

    /// <summary>The selector's body, reading from <paramref name="instance"/> instead of its own parameter.</summary>
    internal static Expression Rebind(LambdaExpression selector, Expression instance) =>
        new ParameterRebinder(selector.Parameters[0], instance).Visit(selector.Body);

    private sealed class ParameterRebinder(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
