using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;

namespace Crm.GraphQL.Paging;

public static class ConnectionFields
{
    /// <summary>Adds <c>first/after/last/before</c> with the page-size limits, checked before anything runs.</summary>
    public static FieldBuilder<TSource, TReturn> PagingArguments<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field) => field
        .Argument<IntGraphType>("first", $"Rows from the start (default {Keyset.DefaultPageSize}, at most {Keyset.MaxPageSize}).", a => a.Validate(PageSize))
        .Argument<StringGraphType>("after", "Return rows after this cursor.")
        .Argument<IntGraphType>("last", $"Rows from the end (at most {Keyset.MaxPageSize}).", a => a.Validate(PageSize))
        .Argument<StringGraphType>("before", "Return rows before this cursor.");

    public static PageRequest GetPageRequest(this IResolveFieldContext context) => new(
        context.GetArgument<int?>("first"),
        context.GetArgument<string?>("after"),
        context.GetArgument<int?>("last"),
        context.GetArgument<string?>("before"));

    private static void PageSize(object value)
    {
        var size = (int)value;
        if (size is < 0 or > Keyset.MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(value), size, $"The page size must be between 0 and {Keyset.MaxPageSize}; {size} was requested.");
        }
    }
}
