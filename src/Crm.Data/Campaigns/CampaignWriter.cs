using Npgsql;

namespace Crm.Data.Campaigns;

/// <summary>
/// Writes a starting campaign's recipients in the caller's unit of work (<see cref="BulkCopy"/>: a 10,000-contact
/// audience in a fraction of a second).
/// </summary>
public sealed class CampaignWriter(CrmDbContext db)
{
    private const string Copy = """
        COPY "CampaignRecipients" ("Id", "CampaignId", "ContactId", "VariantId", "State", "SkipReason", "NextTryAt") FROM STDIN (FORMAT BINARY)
        """;

    public Task AddRecipientsAsync(IReadOnlyList<CampaignRecipient> recipients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        return BulkCopy.AddAsync(db, db.CampaignRecipients, Copy, recipients, WriteAsync, cancellationToken);
    }

    private static async Task WriteAsync(NpgsqlBinaryImporter copy, CampaignRecipient r, CancellationToken cancellationToken)
    {
        await copy.IdAsync(r.Id, cancellationToken);
        await copy.IdAsync(r.CampaignId, cancellationToken);
        await copy.IdAsync(r.ContactId, cancellationToken);
        await copy.IdAsync(r.VariantId, cancellationToken);
        await copy.TextAsync(r.State.ToString(), cancellationToken);
        await copy.TextAsync(r.SkipReason?.ToString(), cancellationToken);
        await copy.TimeAsync(r.NextTryAt, cancellationToken);
    }
}
