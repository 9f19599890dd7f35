using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Server.Querying;

/// <summary><c>XFilterInput</c>: one field per declared filter, combined with AND, plus <c>and</c>/<c>or</c> lists.</summary>
internal abstract class FilterInputGraphType<T> : InputObjectGraphType
{
    protected FilterInputGraphType(string name, FilterDefinition<T> definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Name = name;
        Description = "Conditions on the fields below, all of which must hold; 'and'/'or' combine whole filters.";
        var self = typeof(ListGraphType<>).MakeGenericType(typeof(NonNullGraphType<>).MakeGenericType(GetType()));
        Field("and", self).Description("Every filter in the list must hold.");
        Field("or", self).Description("At least one filter in the list must hold.");
        foreach (var field in definition.Fields)
        {
            Field(field.Name, field.GraphType).Description(field.Description);
        }
    }
}

internal sealed class StringOperationFilterInputType : InputObjectGraphType
{
    public StringOperationFilterInputType()
    {
        Name = "StringOperationFilterInput";
        Description = "Conditions on a text field. eq/neq/in/nin compare exactly; the others ignore case.";
        Field<StringGraphType>("eq").Description("Equal to.");
        Field<StringGraphType>("neq").Description("Not equal to.");
        Field<ListGraphType<StringGraphType>>("in").Description("Equal to one of.");
        Field<ListGraphType<StringGraphType>>("nin").Description("Equal to none of.");
        Field<StringGraphType>("contains").Description("Contains, ignoring case.");
        Field<StringGraphType>("ncontains").Description("Does not contain, ignoring case.");
        Field<StringGraphType>("startsWith").Description("Starts with, ignoring case.");
        Field<StringGraphType>("nstartsWith").Description("Does not start with, ignoring case.");
        Field<StringGraphType>("endsWith").Description("Ends with, ignoring case.");
        Field<StringGraphType>("nendsWith").Description("Does not end with, ignoring case.");
    }
}

/// <summary>Hot Chocolate's comparable operations for one scalar.</summary>
internal abstract class ComparableOperationFilterInputType<TScalar> : InputObjectGraphType
    where TScalar : ScalarGraphType
{
    protected ComparableOperationFilterInputType(string name, string what, bool ordered = true)
    {
        Name = name;
        Description = $"Conditions on {what}.";
        Field<TScalar>("eq").Description("Equal to.");
        Field<TScalar>("neq").Description("Not equal to.");
        Field<ListGraphType<NonNullGraphType<TScalar>>>("in").Description("Equal to one of.");
        Field<ListGraphType<NonNullGraphType<TScalar>>>("nin").Description("Equal to none of.");
        if (!ordered)
        {
            return;
        }

        Field<TScalar>("gt").Description("Greater than.");
        Field<TScalar>("ngt").Description("Not greater than.");
        Field<TScalar>("gte").Description("Greater than or equal to.");
        Field<TScalar>("ngte").Description("Not greater than or equal to.");
        Field<TScalar>("lt").Description("Less than.");
        Field<TScalar>("nlt").Description("Not less than.");
        Field<TScalar>("lte").Description("Less than or equal to.");
        Field<TScalar>("nlte").Description("Not less than or equal to.");
    }
}

internal sealed class IntOperationFilterInputType() : ComparableOperationFilterInputType<IntGraphType>("IntOperationFilterInput", "a whole number");

internal sealed class FloatOperationFilterInputType() : ComparableOperationFilterInputType<FloatGraphType>("FloatOperationFilterInput", "a number");

internal sealed class DateTimeOperationFilterInputType() : ComparableOperationFilterInputType<DateTimeType>("DateTimeOperationFilterInput", "an instant");

/// <summary>Global ids are opaque: they can be matched, not ordered.</summary>
internal sealed class IdOperationFilterInputType() : ComparableOperationFilterInputType<IdGraphType>("IdOperationFilterInput", "a global id", ordered: false);

internal sealed class BooleanOperationFilterInputType : InputObjectGraphType
{
    public BooleanOperationFilterInputType()
    {
        Name = "BooleanOperationFilterInput";
        Description = "Conditions on a true/false field.";
        Field<BooleanGraphType>("eq").Description("Equal to.");
        Field<BooleanGraphType>("neq").Description("Not equal to.");
    }
}

/// <summary>Enum values can be matched (eq neq in nin), as in Hot Chocolate. A feature declares one per enum it filters on.</summary>
internal abstract class EnumOperationFilterInputType<TEnum> : InputObjectGraphType
    where TEnum : EnumerationGraphType
{
    protected EnumOperationFilterInputType(string name)
    {
        Name = name;
        Description = "Conditions on an enum field.";
        Field<TEnum>("eq").Description("Equal to.");
        Field<TEnum>("neq").Description("Not equal to.");
        Field<ListGraphType<NonNullGraphType<TEnum>>>("in").Description("Equal to one of.");
        Field<ListGraphType<NonNullGraphType<TEnum>>>("nin").Description("Equal to none of.");
    }
}

internal sealed class ListStringOperationFilterInputType : InputObjectGraphType
{
    public ListStringOperationFilterInputType()
    {
        Name = "ListStringOperationFilterInput";
        Description = "Conditions on a list of texts, such as tags.";
        Field<StringOperationFilterInputType>("all").Description("Every item matches.");
        Field<StringOperationFilterInputType>("none").Description("No item matches.");
        Field<StringOperationFilterInputType>("some").Description("At least one item matches.");
        Field<BooleanGraphType>("any").Description("True: the list has items. False: it is empty.");
    }
}

/// <summary>Conditions on a related collection, with the item's own filter.</summary>
internal abstract class ListFilterInputGraphType<TItemFilter> : InputObjectGraphType
    where TItemFilter : IInputObjectGraphType
{
    protected ListFilterInputGraphType(string name)
    {
        Name = name;
        Description = "Conditions on a related list.";
        Field<TItemFilter>("all").Description("Every item matches.");
        Field<TItemFilter>("none").Description("No item matches.");
        Field<TItemFilter>("some").Description("At least one item matches.");
        Field<BooleanGraphType>("any").Description("True: the list has items. False: it is empty.");
    }
}
