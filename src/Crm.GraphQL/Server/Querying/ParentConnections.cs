using System.Linq.Expressions;
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
        where T : class
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(context);
        // One selection has the same arguments under every parent: its node (and field, should one node select it on
        // two types) names the batch. Arguments a batch refuses (a bad cursor, first with last) are refused for each
        // parent, as each list of its own would be.
        var batches = context.RequestServices!.GetRequiredService<SelectionBatches>();
        var batch = batches.GetOrAdd(context.FieldAst, context.FieldDefinition, () =>
        {
            var (filtered, order) = context.FilterAndOrder(source, filter, sort, defaultOrder, tiebreak);
            // The rows are told apart by parent after they are read, so a projection reads the parent key too.
            var (rows, projection) = ParentMember(parentKey) is { } member ? Projection.ForNodes(context, source, filtered, member) : (Projection.IncludeJoined(context, filtered), null);
            return new Batch<T, TKey>(rows, parentKey, KeysetPlan<T>.For(order, context.GetPageRequest()), projection);
        });
        return batch.Pages.Load(parent).Then(page => page!);
    }

    /// <summary>The member the parent key reads (<c>x => x.ParentId</c>, <c>x => x.ParentId!.Value</c>); null for any other key.</summary>
    private static string? ParentMember<T, TKey>(Expression<Func<T, TKey>> parentKey) => parentKey.Body switch
    {
        MemberExpression { Expression: ParameterExpression } m => m.Member.Name,
        MemberExpression { Member.Name: "Value", Expression: MemberExpression { Expression: ParameterExpression } m } => m.Member.Name,
        _ => null,
    };

    private sealed class Batch<T, TKey>
        where TKey : notnull
    {
        private readonly IQueryable<T> _source;
        private readonly Expression<Func<T, TKey>> _parentKey;
        private readonly KeysetPlan<T> _plan;
        private readonly Expression<Func<T, T>>? _projection;

        public Batch(IQueryable<T> source, Expression<Func<T, TKey>> parentKey, KeysetPlan<T> plan, Expression<Func<T, T>>? projection)
        {
            _source = source;
            _parentKey = parentKey;
            _plan = plan;
            _projection = projection;
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
                rows = await _plan.Rows(ofOnly, _projection).ToListAsync(cancellationToken);
            }
            else
            {
                var parent = Expression.Parameter(typeof(TKey), "parent");
                var ofParent = Expression.Lambda<Func<T, bool>>(Expression.Equal(_parentKey.Body, parent), _parentKey.Parameters);
                var firstRows = _plan.Order(_plan.Seek(Of(parents)).Where(ofParent)).Take(_plan.Size + 1);
                var windowed = Of(parents).Select(_parentKey).Distinct().SelectMany(Expression.Lambda<Func<TKey, IEnumerable<T>>>(firstRows.Expression, parent));
                rows = await _plan.WithKeys(_plan.Order(windowed), _projection).ToListAsync(cancellationToken);
            }

            var parentOf = Projection.Reader(_parentKey);
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

/// <summary>
/// The batches of one operation's field selections, each shared by the selection's parents: a nested connection's
/// pages, a projected to-one. Scoped like the operation's DbContext.
/// </summary>
internal sealed class SelectionBatches
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
