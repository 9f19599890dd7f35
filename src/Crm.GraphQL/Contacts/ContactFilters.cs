using Crm.Data.Contacts;
using Crm.GraphQL.Conversations;
using Crm.GraphQL.Server.Querying;

namespace Crm.GraphQL.Contacts;

/// <summary>What contacts may be filtered and ordered by.</summary>
internal static class ContactFilters
{
    private static readonly Lazy<FilterDefinition<Contact>> LazyFilter = new(() => new FilterDefinition<Contact>()
        .Id("id", c => c.Id, "Contact", "The contact's global id.")
        .String("firstName", c => c.FirstName, "Given name.")
        .String("lastName", c => c.LastName, "Family name.")
        .String("company", c => c.Company, "Company name.")
        .String("email", c => c.Email, "Email address.")
        .String("phone", c => c.Phone, "Phone in E.164 (+16175550123).")
        .String("city", c => c.Address.City, "City of the address.")
        .String("state", c => c.Address.State, "State of the address.")
        .String("postalCode", c => c.Address.PostalCode, "ZIP code of the address.")
        .StringList("tags", c => c.Tags, "Tags, e.g. tags: { some: { eq: \"vip\" } }.")
        .Comparable("source", c => c.Source, typeof(ContactSourceOperationFilterInputType), "How the contact entered the CRM.")
        .Object("smsConsent", c => c.SmsConsent, typeof(Consent.SmsConsentFilterInputType), () => Consent.SmsConsentFilters.Filter, "Consent to texts.")
        .String("openPhoneContactId", c => c.OpenPhoneContactId, "OpenPhone's id of the matching contact.")
        .Comparable("createdAt", c => c.CreatedAt, typeof(DateTimeOperationFilterInputType), "When the contact was created.")
        .Comparable("updatedAt", c => c.UpdatedAt, typeof(DateTimeOperationFilterInputType), "When the contact was last changed.")
        .List("conversations", c => c.Conversations, typeof(ListConversationFilterInputType), () => ConversationFilters.Filter, "The contact's conversations."));

    private static readonly Lazy<SortDefinition<Contact>> LazySort = new(() => new SortDefinition<Contact>()
        .Field("firstName", c => c.FirstName, "Given name; contacts without one come last ascending.")
        .Field("lastName", c => c.LastName, "Family name; contacts without one come last ascending.")
        .Field("company", c => c.Company, "Company name.")
        .Field("email", c => c.Email, "Email address.")
        .Field("phone", c => c.Phone, "Phone number.")
        .Field("city", c => c.Address.City, "City.")
        .Field("createdAt", c => c.CreatedAt, "When the contact was created.")
        .Field("updatedAt", c => c.UpdatedAt, "When the contact was last changed."));

    public static FilterDefinition<Contact> Filter => LazyFilter.Value;

    public static SortDefinition<Contact> Sort => LazySort.Value;

    /// <summary>Newest first, the default of <c>contacts</c>.</summary>
    public static readonly SortKey<Contact>[] DefaultOrder = [SortKey<Contact>.Desc(c => c.CreatedAt), SortKey<Contact>.Desc(c => c.Id)];

    public static readonly SortKey<Contact> Tiebreak = SortKey<Contact>.Asc(c => c.Id);
}

internal sealed class ContactFilterInputType() : FilterInputGraphType<Contact>("ContactFilterInput", ContactFilters.Filter);

internal sealed class ContactSortInputType() : SortInputGraphType<Contact>("ContactSortInput", ContactFilters.Sort);

internal sealed class ListConversationFilterInputType() : ListFilterInputGraphType<ConversationFilterInputType>("ListConversationFilterInput");

internal sealed class ContactSourceOperationFilterInputType() : EnumOperationFilterInputType<ContactSourceType>("ContactSourceOperationFilterInput");
