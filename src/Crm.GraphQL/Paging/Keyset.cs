using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using GraphQL;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Paging;

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

    private static readonly MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;

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
        var rows = await Order(query, keys, reverse: backward).Take(size + 1).ToListAsync(cancellationToken);
        var more = rows.Count > size;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (backward)
        {
            rows.Reverse();
        }

        var edges = rows.Select(r => new Edge<T>(Cursor.Encode(r, keys), r)).ToList();
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

    /// <summary>(k1 after v1) OR (k1 = v1 AND k2 after v2) OR …, "after" following each key's direction.</summary>
    private static Expression<Func<T, bool>> Seek<T>(IReadOnlyList<SortKey<T>> keys, object?[] values, bool forward)
    {
        var row = Expression.Parameter(typeof(T), "row");
        Expression? any = null;
        Expression? equalSoFar = null;
        for (var i = 0; i < keys.Count; i++)
        {
            var key = new ParameterRebinder(keys[i].Selector.Parameters[0], row).Visit(keys[i].Selector.Body);
            var value = Parameter(values[i], keys[i].KeyType);
            var step = Compare(key, value, keys[i].Descending == forward ? ExpressionType.LessThan : ExpressionType.GreaterThan);
            var term = equalSoFar is null ? step : Expression.AndAlso(equalSoFar, step);
            any = any is null ? term : Expression.OrElse(any, term);
            var equal = Expression.Equal(key, value);
            equalSoFar = equalSoFar is null ? equal : Expression.AndAlso(equalSoFar, equal);
        }

        return Expression.Lambda<Func<T, bool>>(any!, row);
    }

    private static BinaryExpression Compare(Expression key, Expression value, ExpressionType op)
    {
        if (key.Type == typeof(string))
        {
            return Expression.MakeBinary(op, Expression.Call(StringCompare, key, value), Expression.Constant(0));
        }

        if (key.Type == typeof(Guid))
        {
            // Guid has no < operator in C#; EF Core translates CompareTo(...) against 0 into a plain SQL comparison.
            var compareTo = typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!;
            return Expression.MakeBinary(op, Expression.Call(key, compareTo, value), Expression.Constant(0));
        }

        return Expression.MakeBinary(op, key, value);
    }

    /// <summary>A captured value, so EF Core sends it as a SQL parameter rather than inlining a literal.</summary>
    private static UnaryExpression Parameter(object? value, Type type) =>
        Expression.Convert(Expression.Field(Expression.Constant(new StrongBox<object?>(value)), nameof(StrongBox<object?>.Value)), type);

    private sealed class ParameterRebinder(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
