using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Crm.GraphQL.Server.Loading;
using GraphQL;
using GraphQL.DataLoader;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Server.Querying;

/// <summary>A row with the values of its sort keys, read in the same query.</summary>
public sealed class KeyedRow<T>
{
    public required T Row { get; init; }

    public required object?[] Keys { get; init; }
}

public sealed record PageRequest(int? First, string? After, int? Last, string? Before);

/// <summary>A row of a page. Its cursor is encoded only if asked for: most pages select none, or one of fifty.</summary>
public sealed class Edge<T>(Func<string> cursor, T node)
{
    private string? _cursor;

    public string Cursor => _cursor ??= cursor();

    public T Node { get; } = node;
}

/// <summary>Whether there is more on either side, and the cursors at the page's ends, encoded when selected.</summary>
public sealed class PageInfo(bool hasNextPage, bool hasPreviousPage, Func<string?> startCursor, Func<string?> endCursor)
{
    public bool HasNextPage { get; } = hasNextPage;

    public bool HasPreviousPage { get; } = hasPreviousPage;

    public string? StartCursor => startCursor();

    public string? EndCursor => endCursor();

    /// <summary>The page info of <paramref name="edges"/>, whose cursors are those of its first and last edge.</summary>
    public static PageInfo Of<T>(IReadOnlyList<Edge<T>> edges, bool hasNextPage, bool hasPreviousPage) =>
        new(hasNextPage, hasPreviousPage, () => edges.Count > 0 ? edges[0].Cursor : null, () => edges.Count > 0 ? edges[^1].Cursor : null);
}

/// <summary>A page of a connection; the total is counted only if a client selects it.</summary>
public sealed class Page<T>(IReadOnlyList<Edge<T>> edges, PageInfo pageInfo, Func<IDataLoaderResult<int>> totalCount)
{
    /// <summary>A page whose total, when selected, is counted by <paramref name="count"/> on its own.</summary>
    public Page(IReadOnlyList<Edge<T>> edges, PageInfo pageInfo, Func<CancellationToken, Task<int>> count)
        : this(edges, pageInfo, () => new DeferredResult<int>(count))
    {
    }

    public IReadOnlyList<Edge<T>> Edges { get; } = edges;

    public PageInfo PageInfo { get; } = pageInfo;

    /// <summary>Deferred like a batch load, so that the pages of one nested field can count in one query.</summary>
    public IDataLoaderResult<int> TotalCount() => totalCount();
}

/// <summary>
/// Keyset (seek) paging: the cursor carries the sort keys of its row and the next page is a
/// <c>WHERE (k1, k2) &gt; (v1, v2)</c> seek on the ordering's index, so page 500 costs what page 1 costs.
/// </summary>
public static class Keyset
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    /// <summary>A page of <paramref name="source"/>, each row projected by <paramref name="projection"/> (<c>row => new T { … }</c>) when one is given.</summary>
    public static async Task<Page<T>> PageAsync<T>(
        IQueryable<T> source, IReadOnlyList<SortKey<T>> keys, PageRequest request, CancellationToken cancellationToken, Expression<Func<T, T>>? projection = null)
    {
        var plan = KeysetPlan<T>.For(keys, request);
        var rows = await plan.Rows(source, projection).ToListAsync(cancellationToken);
        return plan.ToPage(rows, () => new DeferredResult<int>(ct => source.CountAsync(ct)));
    }

    /// <summary>
    /// Every row of <paramref name="source"/> in the order of <paramref name="keys"/>, a page at a time: each page is
    /// one seek from the last row of the one before, like a connection's next page, so a caller that writes pages out
    /// as they come (an export) holds one page in memory, and no connection between pages, however many rows there are.
    /// </summary>
    /// <remarks>Rows that change between pages may be missed or seen twice, as when a client pages through a connection.</remarks>
    public static async IAsyncEnumerable<IReadOnlyList<T>> PagesAsync<T>(
        IQueryable<T> source, IReadOnlyList<SortKey<T>> keys, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        object?[]? after = null;
        while (true)
        {
            var plan = KeysetPlan<T>.After(keys, after, pageSize);
            var rows = await plan.WithKeys(plan.Order(plan.Seek(source))).Take(pageSize).ToListAsync(cancellationToken);
            if (rows.Count > 0)
            {
                yield return [.. rows.Select(r => r.Row)];
            }

            if (rows.Count < pageSize)
            {
                yield break;
            }

            after = rows[^1].Keys;
        }
    }

    /// <summary>The selector's body, reading from <paramref name="instance"/> instead of its own parameter.</summary>
    internal static Expression Rebind(LambdaExpression selector, Expression instance) =>
        new ParameterRebinder(selector.Parameters[0], instance).Visit(selector.Body);

    private sealed class ParameterRebinder(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}

/// <summary>
/// What one connection field asks for, checked and decoded once: the ordering, the cursors' seeks, the direction and
/// the page size. Reads <see cref="Size"/> + 1 rows in order to learn whether more follow.
/// </summary>
internal sealed class KeysetPlan<T>
{
    private readonly object?[]? _after;
    private readonly object?[]? _before;

    private KeysetPlan(IReadOnlyList<SortKey<T>> keys, object?[]? after, object?[]? before, bool backward, int size)
    {
        Keys = keys;
        _after = after;
        _before = before;
        Backward = backward;
        Size = size;
    }

    public IReadOnlyList<SortKey<T>> Keys { get; }

    /// <summary>A <c>last</c> page: read in reverse order, from the end.</summary>
    public bool Backward { get; }

    public int Size { get; }

    public static KeysetPlan<T> For(IReadOnlyList<SortKey<T>> keys, PageRequest request)
    {
        if (request.First is not null && request.Last is not null)
        {
            throw new ExecutionError("Pass either first or last, not both.") { Code = "PAGING_ARGUMENTS_CONFLICT" };
        }

        return new(
            keys,
            request.After is null ? null : Cursor.Decode(request.After, keys),
            request.Before is null ? null : Cursor.Decode(request.Before, keys),
            backward: request.Last is not null,
            request.Last ?? request.First ?? Keyset.DefaultPageSize);
    }

    /// <summary>Forward from a row's key values as read with it (<see cref="KeyedRow{T}.Keys"/>), or from the start.</summary>
    public static KeysetPlan<T> After(IReadOnlyList<SortKey<T>> keys, object?[]? after, int size) => new(keys, after, null, backward: false, size);

    /// <summary>The page's rows of <paramref name="source"/> with their keys, and one more to learn whether more follow.</summary>
    public IQueryable<KeyedRow<T>> Rows(IQueryable<T> source, Expression<Func<T, T>>? projection) => WithKeys(Order(Seek(source)), projection).Take(Size + 1);

    /// <summary>Only the rows between the cursors.</summary>
    public IQueryable<T> Seek(IQueryable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var query = source;
        if (_after is not null)
        {
            query = query.Where(SeekPredicate(_after, forward: true));
        }

        if (_before is not null)
        {
            query = query.Where(SeekPredicate(_before, forward: false));
        }

        return query;
    }

    /// <summary>The order the page is read in: the keys', reversed for a <c>last</c> page.</summary>
    public IQueryable<T> Order(IQueryable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var expression = source.Expression;
        for (var i = 0; i < Keys.Count; i++)
        {
            expression = Expression.Call(typeof(Queryable), OrderMethod(i), [typeof(T), Keys[i].KeyType], expression, Expression.Quote(Keys[i].Selector));
        }

        return source.Provider.CreateQuery<T>(expression);
    }

    /// <summary>
    /// Each row, projected if asked, with its key values read in the same query: cursors never depend on navigations
    /// being loaded, nor on the projection reading the keys.
    /// </summary>
    public IQueryable<KeyedRow<T>> WithKeys(IQueryable<T> source, Expression<Func<T, T>>? projection = null)
    {
        var row = Expression.Parameter(typeof(T), "row");
        var values = Keys.Select(k => (Expression)Expression.Convert(Keyset.Rebind(k.Selector, row), typeof(object)));
        var body = Expression.MemberInit(
            Expression.New(typeof(KeyedRow<T>)),
            Expression.Bind(typeof(KeyedRow<T>).GetProperty(nameof(KeyedRow<T>.Row))!, projection is null ? row : Keyset.Rebind(projection, row)),
            Expression.Bind(typeof(KeyedRow<T>).GetProperty(nameof(KeyedRow<T>.Keys))!, Expression.NewArrayInit(typeof(object), values)));
        return source.Select(Expression.Lambda<Func<T, KeyedRow<T>>>(body, row));
    }

    /// <summary>The page from the rows read in <see cref="Order"/>, at most <see cref="Size"/> + 1 of them.</summary>
    public Page<T> ToPage(IReadOnlyList<KeyedRow<T>> rows, Func<IDataLoaderResult<int>> totalCount)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var more = rows.Count > Size;
        var page = rows.Take(Size);
        if (Backward)
        {
            page = page.Reverse();
        }

        var edges = page.Select(r => new Edge<T>(() => Cursor.Encode(r.Keys, Keys), r.Row)).ToList();
        var info = PageInfo.Of(edges, hasNextPage: Backward ? _before is not null : more, hasPreviousPage: Backward ? more : _after is not null);
        return new Page<T>(edges, info, totalCount);
    }

    private string OrderMethod(int index) => (index == 0, Keys[index].Descending != Backward) switch
    {
        (true, false) => nameof(Queryable.OrderBy),
        (true, true) => nameof(Queryable.OrderByDescending),
        (false, false) => nameof(Queryable.ThenBy),
        (false, true) => nameof(Queryable.ThenByDescending),
    };

    /// <summary>(k1 after v1) OR (k1 = v1 AND k2 after v2) OR …, "after" following each key's direction.</summary>
    private Expression<Func<T, bool>> SeekPredicate(object?[] values, bool forward)
    {
        var row = Expression.Parameter(typeof(T), "row");
        Expression? any = null;
        Expression? equalSoFar = null;
        for (var i = 0; i < Keys.Count; i++)
        {
            var key = Keyset.Rebind(Keys[i].Selector, row);
            var step = FilterOperations.Compare(key, values[i], Keys[i].Descending == forward ? ExpressionType.LessThan : ExpressionType.GreaterThan);
            var term = equalSoFar is null ? step : Expression.AndAlso(equalSoFar, step);
            any = any is null ? term : Expression.OrElse(any, term);
            var equal = Expression.Equal(key, FilterOperations.Parameter(values[i], Keys[i].KeyType));
            equalSoFar = equalSoFar is null ? equal : Expression.AndAlso(equalSoFar, equal);
        }

        // The OR form is exact but PostgreSQL cannot seek an index with it; a redundant range on the leading key can,
        // so a deep page costs an index descent, not a scan of every row before it.
        var leading = FilterOperations.Compare(Keyset.Rebind(Keys[0].Selector, row), values[0], Keys[0].Descending == forward ? ExpressionType.LessThanOrEqual : ExpressionType.GreaterThanOrEqual);
        return Expression.Lambda<Func<T, bool>>(Expression.AndAlso(leading, any!), row);
    }
}
