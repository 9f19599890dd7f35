using Crm.GraphQL.Paging;
using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;

namespace Crm.GraphQL.Filtering;

/// <summary>Hot Chocolate's <c>where</c> and <c>order</c> arguments on a connection field, and their execution.</summary>
internal static class FilterFields
{
    public static FieldBuilder<TSource, TReturn> FilterArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, Type filterType, Type sortType) => field
        .Argument(filterType, "where", a => a.Description = "Only rows matching this filter.")
        .Argument(typeof(ListGraphType<>).MakeGenericType(typeof(NonNullGraphType<>).MakeGenericType(sortType)), "order", a => a.Description = "Sort keys in order of precedence; ties are broken by the row's id.");

    /// <summary>Filters, orders and pages <paramref name="source"/> in one SQL query (plus a COUNT if totalCount is selected).</summary>
    public static Task<Page<T>> PageAsync<T>(
        this IResolveFieldContext context,
        IQueryable<T> source,
        FilterDefinition<T> filter,
        SortDefinition<T> sort,
        IReadOnlyList<SortKey<T>> defaultOrder,
        SortKey<T> tiebreak)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.GetArgument<Dictionary<string, object?>?>("where") is { } where)
        {
            source = source.Where(filter.Compile(where));
        }

        var order = sort.Compile(context.GetArgument<List<object?>?>("order"), defaultOrder, tiebreak);
        return Keyset.PageAsync(source, order, context.GetPageRequest(), context.CancellationToken);
    }
}
