using System.Runtime.CompilerServices;
using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Conversations;
using Crm.GraphQL.Conversations;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Querying;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Exports;

/// <summary>
/// <c>GET /exports/conversations?where=…</c>: the texts and calls of the conversations <c>conversations(where:)</c>
/// matches (snoozed ones too), one row each, conversation by conversation in the order the CRM recorded them (their
/// ids), each one's in time order: the (conversation, time) index serves that order, page after page.
/// </summary>
internal static class ConversationExport
{
    private static readonly SortKey<Activity>[] TimelineOrder =
        [SortKey<Activity>.Asc(a => a.ConversationId), SortKey<Activity>.Asc(a => a.OccurredAt), SortKey<Activity>.Asc(a => a.Id)];

    public static readonly ExportDefinition<ConversationActivity> Definition = new("conversations", "conversations", ["where"], Columns(), Pages);

    internal sealed record ConversationActivity(Conversation Conversation, Activity Activity);

    private static CsvColumn<ConversationActivity>[] Columns() =>
    [
        new("Conversation ID", r => NodeId.Encode("Conversation", r.Conversation.Id)),
        new("Contact name", r => r.Conversation.Contact?.DisplayName),
        new("Contact phone", r => Cells.Phone(r.Conversation.Contact?.Phone)),
        new("Line", r => r.Conversation.PhoneNumber?.Name),
        new("Line number", r => Cells.Phone(r.Conversation.PhoneNumber?.Number)),
        new("Time (UTC)", r => Cells.Time(r.Activity.OccurredAt)),
        new("Kind", r => Cells.Name<ActivityKind>(r.Activity.Kind)),
        new("Direction", r => Cells.Name<ActivityDirection>(r.Activity.Direction)),
        new("Status", r => Cells.Name(r.Activity.OutboundStatus)),
        new("OpenPhone status", r => r.Activity.Status),
        new("Body", r => r.Activity.Body),
        new("Call duration (s)", r => Cells.Number(r.Activity.DurationSeconds)),
        new("Call summary", r => r.Activity.AiSummary),
    ];

    private static IAsyncEnumerable<IReadOnlyList<ConversationActivity>> Pages(HttpContext http, CoercedArguments arguments)
    {
        var db = http.RequestServices.GetRequiredService<CrmDbContext>();
        var (conversations, _) = ConnectionFields.FilterAndOrder(
            db.Conversations, arguments.Get<IDictionary<string, object?>>("where"), null,
            ConversationFilters.Filter, ConversationFilters.Sort, ConversationQueries.InboxOrder, ConversationFilters.Tiebreak);
        var ids = conversations.Select(c => c.Id);
        var activities = db.Activities.AsNoTracking().Where(a => ids.Contains(a.ConversationId));
        return WithConversationsAsync(db, Keyset.PagesAsync(activities, TimelineOrder, ExportEndpoints.PageSize, http.RequestAborted), http.RequestAborted);
    }

    /// <summary>Each page's activities with their conversation, contact and line, read in one query per page.</summary>
    private static async IAsyncEnumerable<IReadOnlyList<ConversationActivity>> WithConversationsAsync(
        CrmDbContext db, IAsyncEnumerable<IReadOnlyList<Activity>> pages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            var ids = page.Select(a => a.ConversationId).Distinct().ToList();
            var conversations = await db.Conversations.AsNoTracking()
                .Include(c => c.Contact)
                .Include(c => c.PhoneNumber)
                .Where(c => ids.Contains(c.Id))
                .ToDictionaryAsync(c => c.Id, cancellationToken);
            // A conversation deleted (with its contact) since its activities were read has nothing left to export.
            yield return [.. page.Where(a => conversations.ContainsKey(a.ConversationId)).Select(a => new ConversationActivity(conversations[a.ConversationId], a))];
        }
    }
}
