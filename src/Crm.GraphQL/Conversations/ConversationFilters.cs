using Crm.Data.Conversations;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.PhoneNumbers;
using Crm.GraphQL.Server.Querying;

namespace Crm.GraphQL.Conversations;

/// <summary>What conversations (the inbox) may be filtered and ordered by.</summary>
internal static class ConversationFilters
{
    private static readonly Lazy<FilterDefinition<Conversation>> LazyFilter = new(() => new FilterDefinition<Conversation>()
        .Id("id", c => c.Id, "Conversation", "The conversation's global id.")
        .Boolean("unread", c => c.UnreadCount > 0, "Whether incoming activity awaits a reader.")
        .Comparable("unreadCount", c => c.UnreadCount, typeof(IntOperationFilterInputType), "Incoming activities since last read.")
        .Comparable("status", c => c.Status, typeof(ConversationStatusOperationFilterInputType), "OPEN or DONE.")
        .Comparable("snoozedUntil", c => c.SnoozedUntil, typeof(DateTimeOperationFilterInputType), "Hidden from the inbox until then.")
        .Comparable("lastActivityAt", c => c.LastActivityAt, typeof(DateTimeOperationFilterInputType), "When the latest activity happened.")
        .Comparable("lastActivityKind", c => c.LastActivityKind, typeof(ActivityKindOperationFilterInputType), "Whether the latest activity is a message or a call.")
        .Comparable("lastInboundAt", c => c.LastInboundAt, typeof(DateTimeOperationFilterInputType), "When the contact last texted or called.")
        .Comparable("createdAt", c => c.CreatedAt, typeof(DateTimeOperationFilterInputType), "When the conversation began.")
        .String("openPhoneConversationId", c => c.OpenPhoneConversationId, "OpenPhone's id of the conversation.")
        .Object("contact", c => c.Contact, typeof(ContactFilterInputType), () => ContactFilters.Filter, "The contact.")
        .Object("phoneNumber", c => c.PhoneNumber, typeof(PhoneNumberFilterInputType), () => PhoneNumberFilters.Filter, "The business line.")
        .List("activities", c => c.Activities, typeof(ListActivityFilterInputType), () => ActivityFilters.Filter, "The timeline."));

    private static readonly Lazy<SortDefinition<Conversation>> LazySort = new(() => new SortDefinition<Conversation>()
        .Field("lastActivityAt", c => c.LastActivityAt, "When the latest activity happened.")
        .Field("lastInboundAt", c => c.LastInboundAt, "When the contact last texted or called.")
        .Field("unreadCount", c => c.UnreadCount, "Incoming activities since last read.")
        .Field("status", c => c.Status, "OPEN or DONE.")
        .Field("createdAt", c => c.CreatedAt, "When the conversation began.")
        .Object("contact", c => c.Contact, typeof(ContactSortInputType), () => ContactFilters.Sort, "The contact's fields."));

    public static FilterDefinition<Conversation> Filter => LazyFilter.Value;

    public static SortDefinition<Conversation> Sort => LazySort.Value;

    public static readonly SortKey<Conversation> Tiebreak = SortKey<Conversation>.Desc(c => c.Id);
}

internal sealed class ConversationFilterInputType() : FilterInputGraphType<Conversation>("ConversationFilterInput", ConversationFilters.Filter);

internal sealed class ConversationSortInputType() : SortInputGraphType<Conversation>("ConversationSortInput", ConversationFilters.Sort);

internal sealed class ListActivityFilterInputType() : ListFilterInputGraphType<ActivityFilterInputType>("ListActivityFilterInput");

internal sealed class ConversationStatusOperationFilterInputType() : EnumOperationFilterInputType<ConversationStatusType>("ConversationStatusOperationFilterInput");
