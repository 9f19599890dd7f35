using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Crm.GraphQL.Server.Loading;
using GraphQL;
using GraphQL.DataLoader;
using GraphQL.Types;
using GraphQLParser.AST;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Server.Querying;

/// <summary>
/// A connection under a parent object that may itself be in a list (<c>contacts { conversations }</c>): the pages
/// of one field selection, for every parent, come from one windowed query — the first rows of each parent, as
/// <c>ROW_NUMBER() OVER (PARTITION BY parent ORDER BY the sort keys)</c> — and their totals from one GROUP BY, so
/// a page of 50 parents costs what a page of 5 does. Arguments, cursors and page info mean what they mean for a
/// list of its own (<see cref="ConnectionFields.PageAsync"/>).
/// </summary>
internal static class ParentConnections
{
    /// <summary>
    /// The page of <paramref name="source"/> rows whose <paramref name="parentKey"/> is <paramref name="parent"/>,
    /// filtered, ordered and paged by the field's arguments; loaded with the other parents' pages of the same selection.
    /// </summary>
    internal static IDataLoaderResult<Page<T>> PageByParent<T, TKey>(
        this IResolveFieldContext context,
        IQueryable<T> source,
        Expression<Func<T, TKey>> parentKey,
        TKey parent,
        FilterDefinition<T> filter,
        SortDefinition<T> sort,
        IReadOnlyList<SortKey<T>> defaultOrder,
        SortKey<T> tiebreak)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(context);
        // One selection has the same arguments under every parent: its node (and field, should one node select it on
        // two types) names the batch. Arguments a batch refuses (a bad cursor, first with last) are refused for each
        // parent, as each list of its own would be.
        var batches = context.RequestServices!.GetRequiredService<ParentConnectionBatches>();
        var batch = batches.GetOrAdd(context.FieldAst, context.FieldDefinition, () =>
        {
            var (filtered, order) = context.FilterAndOrder(source, filter, sort, defaultOrder, tiebreak);
            return new Batch<T, TKey>(filtered, parentKey, KeysetPlan<T>.For(order, context.GetPageRequest()));
        });
        return batch.Pages.Load(parent).Then(page => page!);
    }

    private sealed class Batch<T, TKey>
        where TKey : notnull
    {
        // The parent key of a loaded row, compiled once per key member: callers write the key as a lambda, a new
        // expression each time, and compiling it for every batch cost more CPU than materializing the page.
        private static readonly ConcurrentDictionary<MemberInfo, Func<T, TKey>> ParentKeys = new();

        private readonly IQueryable<T> _source;
        private readonly Expression<Func<T, TKey>> _parentKey;
        private readonly KeysetPlan<T> _plan;

        public Batch(IQueryable<T> source, Expression<Func<T, TKey>> parentKey, KeysetPlan<T> plan)
        {
            _source = source;
            _parentKey = parentKey;
            _plan = plan;
            Pages = new(FetchPagesAsync);
            Counts = new(FetchCountsAsync);
        }

        public BatchLoader<TKey, Page<T>> Pages { get; }

        private BatchLoader<TKey, int> Counts { get; }

        private async Task<Dictionary<TKey, Page<T>>> FetchPagesAsync(IReadOnlyCollection<TKey> parents, CancellationToken cancellationToken)
        {
            // For each parent, its first rows: EF Core turns the correlated Take into ROW_NUMBER() OVER (PARTITION BY
            // parent), over only these parents' rows (the window would otherwise number the whole table). The outer
            // order is the page's too, so each parent's rows arrive in page order, which GroupBy below keeps.
            List<KeyedRow<T>> rows;
            if (parents.Count == 1)
            {
                // One parent (contact(id) { activities }): the plain keyset query, without the window's extra steps.
                var only = Expression.Equal(_parentKey.Body, FilterOperations.Parameter(parents.First(), typeof(TKey)));
                var ofOnly = _source.Where(Expression.Lambda<Func<T, bool>>(only, _parentKey.Parameters));
                rows = await _plan.Rows(ofOnly).ToListAsync(cancellationToken);
            }
            else
            {
                var parent = Expression.Parameter(typeof(TKey), "parent");
                var ofParent = Expression.Lambda<Func<T, bool>>(Expression.Equal(_parentKey.Body, parent), _parentKey.Parameters);
                var firstRows = _plan.Order(_plan.Seek(Of(parents)).Where(ofParent)).Take(_plan.Size + 1);
                var windowed = Of(parents).Select(_parentKey).Distinct().SelectMany(Expression.Lambda<Func<TKey, IEnumerable<T>>>(firstRows.Expression, parent));
                rows = await _plan.WithKeys(_plan.Order(windowed)).ToListAsync(cancellationToken);
            }

            var parentOf = _parentKey.Body is MemberExpression { Expression: ParameterExpression, Member: var member }
                ? ParentKeys.GetOrAdd(member, _ => _parentKey.Compile())
                : _parentKey.Compile();
            var byParent = rows.GroupBy(r => parentOf(r.Row)).ToDictionary(g => g.Key, g => g.ToList());
            return parents.ToDictionary(p => p, p => _plan.ToPage(byParent.GetValueOrDefault(p) ?? [], () => Counts.Load(p)));
        }

        private Task<Dictionary<TKey, int>> FetchCountsAsync(IReadOnlyCollection<TKey> parents, CancellationToken cancellationToken) =>
            Of(parents).GroupBy(_parentKey).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);

        /// <summary>The rows of these parents, matching the filter; cursors apply per page.</summary>
        private IQueryable<T> Of(IReadOnlyCollection<TKey> parents)
        {
            var row = _parentKey.Parameters[0];
            var keys = FilterOperations.Parameter(parents.ToList(), typeof(List<TKey>));
            var isOf = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(TKey)], keys, _parentKey.Body);
            return _source.Where(Expression.Lambda<Func<T, bool>>(isOf, row));
        }
    }
}

/// <summary>The batches of one operation's nested connection selections; scoped like the operation's DbContext.</summary>
internal sealed class ParentConnectionBatches
{
    private readonly Dictionary<(GraphQLField Node, FieldType Field), object> _batches = [];

    public TBatch GetOrAdd<TBatch>(GraphQLField node, FieldType field, Func<TBatch> create)
        where TBatch : class
    {
        if (_batches.TryGetValue((node, field), out var existing))
        {
            return (TBatch)existing;
        }

        var batch = create();
        _batches.Add((node, field), batch);
        return batch;
    }
}
