using Crm.Data.PhoneNumbers;
using Crm.GraphQL.Server.Querying;

namespace Crm.GraphQL.PhoneNumbers;

internal static class PhoneNumberFilters
{
    private static readonly Lazy<FilterDefinition<PhoneNumber>> LazyFilter = new(() => new FilterDefinition<PhoneNumber>()
        .Id("id", p => p.Id, "PhoneNumber", "The line's global id.")
        .String("number", p => p.Number, "The line's number in E.164.")
        .String("name", p => p.Name, "The line's label.")
        .String("openPhoneId", p => p.OpenPhoneId, "OpenPhone's id of the line.")
        .Boolean("isActive", p => p.IsActive, "Whether the line is in use."));

    public static FilterDefinition<PhoneNumber> Filter => LazyFilter.Value;
}

internal sealed class PhoneNumberFilterInputType() : FilterInputGraphType<PhoneNumber>("PhoneNumberFilterInput", PhoneNumberFilters.Filter);
