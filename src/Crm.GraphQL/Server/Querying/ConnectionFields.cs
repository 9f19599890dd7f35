using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Crm.GraphQL.Server.Querying;

/// <summary>
/// A connection field's arguments — <c>first/after/last/before</c>, Hot Chocolate's <c>where</c> and <c>order</c> —
/// and their execution: filter, order and page in one SQL query.
/// </summary>
public static class ConnectionFields
{
    /// <summary>Adds <c>first/after/last/before</c> with the page-size limits, checked before anything runs.</summary>
    public static FieldBuilder<TSource, TReturn> PagingArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) => field
        .Argument<IntGraphType>("first", $"Rows from the start (default {Keyset.DefaultPageSize}, at most {Keyset.MaxPageSize}).", a => a.Validate(PageSize))
        .Argument<StringGraphType>("after", "Return rows after this cursor.")
        .Argument<IntGraphType>("last", $"Rows from the end (at most {Keyset.MaxPageSize}).", a => a.Validate(PageSize))
        .Argument<StringGraphType>("before", "Return rows before this cursor.");

    internal static FieldBuilder<TSource, TReturn> FilterArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, Type filterType, Type sortType) => field
        .Argument(filterType, "where", a => a.Description = "Only rows matching this filter.")
        .Argument(typeof(ListGraphType<>).MakeGenericType(typeof(NonNullGraphType<>).MakeGenericType(sortType)), "order", a => a.Description = "Sort keys in order of precedence; ties are broken by the row's id.");

    public static PageRequest GetPageRequest(this IResolveFieldContext context) => new(
        context.GetArgument<int?>("first"),
        context.GetArgument<string?>("after"),
        context.GetArgument<int?>("last"),
        context.GetArgument<string?>("before"));

    /// <summary>
    /// Filters, orders and pages <paramref name="source"/> in one SQL query (plus a COUNT if totalCount is selected),
    /// reading only what the nodes' selection needs (<see cref="Projection"/>).
    /// </summary>
    internal static Task<Page<T>> PageAsync<T>(
        this IResolveFieldContext context,
        IQueryable<T> source,
        FilterDefinition<T> filter,
        SortDefinition<T> sort,
        IReadOnlyList<SortKey<T>> defaultOrder,
        SortKey<T> tiebreak)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var (rows, order) = context.FilterAndOrder(source, filter, sort, defaultOrder, tiebreak);
        var (read, projection) = Projection.ForNodes(context, source, rows);
        return Keyset.PageAsync(read, order, context.GetPageRequest(), context.CancellationToken, projection);
    }

    /// <summary>The field's <c>where</c> and <c>order</c> applied by <see cref="FilterAndOrder{T}(IQueryable{T}, IDictionary{string, object?}?, IEnumerable{object?}?, FilterDefinition{T}, SortDefinition{T}, IReadOnlyList{SortKey{T}}, SortKey{T})"/>.</summary>
    internal static (IQueryable<T> Rows, IReadOnlyList<SortKey<T>> Order) FilterAndOrder<T>(
        this IResolveFieldContext context,
        IQueryable<T> source,
        FilterDefinition<T> filter,
        SortDefinition<T> sort,
        IReadOnlyList<SortKey<T>> defaultOrder,
        SortKey<T> tiebreak) =>
        FilterAndOrder(source, context.GetArgument<Dictionary<string, object?>?>("where"), context.GetArgument<List<object?>?>("order"), filter, sort, defaultOrder, tiebreak);

    /// <summary>
    /// <paramref name="source"/> filtered by a coerced <c>where</c>, and the sort keys of a coerced <c>order</c> then
    /// <paramref name="tiebreak"/> (<paramref name="defaultOrder"/> without one): what a connection field does with its
    /// arguments, and an endpoint that reads the same arguments (<see cref="Execution.ArgumentCoercion"/>) too.
    /// </summary>
    /// <exception cref="ExecutionError">A value the filter refuses, such as a global id of another type (INVALID_ID).</exception>
    internal static (IQueryable<T> Rows, IReadOnlyList<SortKey<T>> Order) FilterAndOrder<T>(
        IQueryable<T> source,
        IDictionary<string, object?>? where,
        IEnumerable<object?>? order,
        FilterDefinition<T> filter,
        SortDefinition<T> sort,
        IReadOnlyList<SortKey<T>> defaultOrder,
        SortKey<T> tiebreak)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(sort);
        return (where is null ? source : source.Where(filter.Compile(where)), sort.Compile(order, defaultOrder, tiebreak));
    }

    private static void PageSize(object value)
    {
        var size = (int)value;
        if (size is < 0 or > Keyset.MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(value), size, $"The page size must be between 0 and {Keyset.MaxPageSize}; {size} was requested.");
        }
    }
}

/// <summary>The fields a selection set selects, through fragments.</summary>
internal static class Selections
{
    /// <summary>
    /// The fields the connection field's nodes select, under <c>nodes</c> and <c>edges { node }</c>. Directives are not
    /// read, so a field skipped by <c>@skip</c> counts too: reading more is harmless.
    /// </summary>
    public static IEnumerable<GraphQLField> Nodes(IResolveFieldContext context) =>
        Of(context, context.FieldAst.SelectionSet).SelectMany(child => child.Name.StringValue switch
        {
            "nodes" => Of(context, child.SelectionSet),
            "edges" => Of(context, child.SelectionSet).Where(f => f.Name.StringValue == "node").SelectMany(n => Of(context, n.SelectionSet)),
            _ => [],
        });

    // Validation has refused fragment cycles before any resolver runs, so this ends.
    public static IEnumerable<GraphQLField> Of(IResolveFieldContext context, GraphQLSelectionSet? selections)
    {
        foreach (var selection in selections?.Selections ?? [])
        {
            var nested = selection switch
            {
                GraphQLField f => [f],
                GraphQLInlineFragment inline => Of(context, inline.SelectionSet),
                GraphQLFragmentSpread spread => Of(context, context.Document.Definitions.OfType<GraphQLFragmentDefinition>()
                    .FirstOrDefault(d => d.FragmentName.Name.StringValue == spread.FragmentName.Name.StringValue)?.SelectionSet),
                _ => [],
            };
            foreach (var f in nested)
            {
                yield return f;
            }
        }
    }
}
