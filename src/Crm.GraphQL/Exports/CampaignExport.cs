using System.Runtime.CompilerServices;
using Crm.Data;
using Crm.Data.Campaigns;
using Crm.Data.Contacts;
using Crm.GraphQL.Campaigns;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Querying;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Exports;

/// <summary>
/// <c>GET /exports/campaigns/{id}/recipients</c>: a campaign's recipients with their variant, status, skip reason and
/// times, in the order they are texted: its results row by row.
/// </summary>
internal static class CampaignExport
{
    private static readonly SortKey<CampaignRecipient>[] Order = [SortKey<CampaignRecipient>.Asc(r => r.Id)];

    public static readonly ExportDefinition<Row> Definition = new("campaign-recipients", "campaign", [], Columns(), Pages);

    internal sealed record Row(CampaignRecipient Recipient, Contact? Contact, string Variant);

    private static CsvColumn<Row>[] Columns() =>
    [
        new("Contact ID", r => NodeId.Encode("Contact", r.Recipient.ContactId)),
        new("Contact name", r => r.Contact?.DisplayName),
        new("Phone", r => Cells.Phone(r.Contact?.Phone)),
        new("Variant", r => r.Variant),
        new("Status", r => Cells.Name<RecipientStatus>(RecipientStatuses.Of(r.Recipient))),
        new("Skip reason", r => Cells.Name(r.Recipient.SkipReason)),
        new("Skip note", r => r.Recipient.SkipNote ?? r.Recipient.Activity?.FailureReason),
        new("Text", r => r.Recipient.Activity?.Body),
        new("Segments", r => Cells.Number(r.Recipient.Activity?.Segments)),
        new("Queued for (UTC)", r => Cells.Time(r.Recipient.QueuedAt)),
        new("Sent (UTC)", r => Cells.Time(r.Recipient.Activity?.SentAt)),
        new("Delivered (UTC)", r => Cells.Time(r.Recipient.Activity?.DeliveredAt)),
        new("Replied (UTC)", r => Cells.Time(r.Recipient.RepliedAt)),
        new("Opted out (UTC)", r => Cells.Time(r.Recipient.OptedOutAt)),
    ];

    private static IAsyncEnumerable<IReadOnlyList<Row>> Pages(HttpContext http, CoercedArguments arguments)
    {
        var id = NodeId.Decode(http.Request.RouteValues["id"] as string, "Campaign");
        var db = http.RequestServices.GetRequiredService<CrmDbContext>();
        var recipients = db.CampaignRecipients.AsNoTracking().Include(r => r.Activity).Where(r => r.CampaignId == id);
        return WithContactsAsync(db, id, Keyset.PagesAsync(recipients, Order, ExportEndpoints.PageSize, http.RequestAborted), http.RequestAborted);
    }

    /// <summary>Each page's recipients with their contacts, read in one query per page.</summary>
    private static async IAsyncEnumerable<IReadOnlyList<Row>> WithContactsAsync(
        CrmDbContext db, Guid campaignId, IAsyncEnumerable<IReadOnlyList<CampaignRecipient>> pages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var variants = await db.CampaignVariants.AsNoTracking().Where(v => v.CampaignId == campaignId).ToDictionaryAsync(v => v.Id, v => v.Label, cancellationToken);
        await foreach (var page in pages.WithCancellation(cancellationToken))
        {
            var ids = page.Select(r => r.ContactId).ToList();
            var contacts = await db.Contacts.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
            yield return [.. page.Select(r => new Row(r, contacts.GetValueOrDefault(r.ContactId), variants.GetValueOrDefault(r.VariantId, "?")))];
        }
    }
}
