using Crm.Data.Activities;
using Crm.GraphQL.Server.Querying;

namespace Crm.GraphQL.Activities;

/// <summary>What timeline activities may be filtered and ordered by.</summary>
internal static class ActivityFilters
{
    private static readonly Lazy<FilterDefinition<Activity>> LazyFilter = new(() => new FilterDefinition<Activity>()
        .Id("id", a => a.Id, "Activity", "The activity's global id.")
        .Id("conversationId", a => a.ConversationId, "Conversation", "The conversation's global id.")
        .Id("contactId", a => a.ContactId, "Contact", "The contact's global id.")
        .Comparable("kind", a => a.Kind, typeof(ActivityKindOperationFilterInputType), "Message or call.")
        .Comparable("direction", a => a.Direction, typeof(ActivityDirectionOperationFilterInputType), "Incoming or outgoing.")
        .String("body", a => a.Body, "Message text.")
        .Comparable("status", a => a.OutboundStatus, typeof(MessageStatusOperationFilterInputType), "An outgoing text's status.")
        .String("openPhoneStatus", a => a.Status, "OpenPhone's own status word.")
        .String("fromNumber", a => a.FromNumber, "The sending number in E.164.")
        .Comparable("durationSeconds", a => a.DurationSeconds, typeof(IntOperationFilterInputType), "Call length in seconds.")
        .Comparable("occurredAt", a => a.OccurredAt, typeof(DateTimeOperationFilterInputType), "When it happened.")
        .Comparable("createdAt", a => a.CreatedAt, typeof(DateTimeOperationFilterInputType), "When the CRM recorded it.")
        .Comparable("sentAt", a => a.SentAt, typeof(DateTimeOperationFilterInputType), "When OpenPhone accepted an outgoing text."));

    private static readonly Lazy<SortDefinition<Activity>> LazySort = new(() => new SortDefinition<Activity>()
        .Field("occurredAt", a => a.OccurredAt, "When it happened.")
        .Field("createdAt", a => a.CreatedAt, "When the CRM recorded it.")
        .Field("durationSeconds", a => a.DurationSeconds, "Call length."));

    public static FilterDefinition<Activity> Filter => LazyFilter.Value;

    public static SortDefinition<Activity> Sort => LazySort.Value;

    /// <summary>Newest first: the timeline's default.</summary>
    public static readonly SortKey<Activity>[] DefaultOrder = [SortKey<Activity>.Desc(a => a.OccurredAt), SortKey<Activity>.Desc(a => a.Id)];

    public static readonly SortKey<Activity> Tiebreak = SortKey<Activity>.Desc(a => a.Id);
}

internal sealed class ActivityFilterInputType() : FilterInputGraphType<Activity>("ActivityFilterInput", ActivityFilters.Filter);

internal sealed class ActivitySortInputType() : SortInputGraphType<Activity>("ActivitySortInput", ActivityFilters.Sort);

internal sealed class ActivityKindOperationFilterInputType() : EnumOperationFilterInputType<ActivityKindType>("ActivityKindOperationFilterInput");

internal sealed class ActivityDirectionOperationFilterInputType() : EnumOperationFilterInputType<ActivityDirectionType>("ActivityDirectionOperationFilterInput");

internal sealed class MessageStatusOperationFilterInputType() : EnumOperationFilterInputType<MessageStatusType>("MessageStatusOperationFilterInput");
