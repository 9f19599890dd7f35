using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.ContactLists;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.PhoneNumbers;
using Crm.GraphQL.Server.Loading;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Loading;

/// <summary>The request's batch loaders for entities referenced by id from other entities.</summary>
public sealed class CrmLoaders(CrmDbContext db)
{
    public BatchLoader<Guid, Contact> Contacts { get; } = new((ids, ct) =>
        db.Contacts.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct));

    public BatchLoader<Guid, Conversation> Conversations { get; } = new((ids, ct) =>
        db.Conversations.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct));

    public BatchLoader<Guid, PhoneNumber> PhoneNumbers { get; } = new((ids, ct) =>
        db.PhoneNumbers.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct));

    public BatchLoader<Guid, Data.Importing.ImportJob> ImportJobs { get; } = new((ids, ct) =>
        db.ImportJobs.AsNoTracking().Where(j => ids.Contains(j.Id)).ToDictionaryAsync(j => j.Id, ct));

    public BatchLoader<Guid, Activity> Activities { get; } = new((ids, ct) =>
        db.Activities.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct));

    public BatchLoader<Guid, Data.Campaigns.Campaign> Campaigns { get; } = new((ids, ct) =>
        db.Campaigns.AsNoTracking().Include(c => c.Variants).Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct));

    public BatchLoader<Guid, ContactList> ContactLists { get; } = new((ids, ct) =>
        db.ContactLists.AsNoTracking().Where(l => ids.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct));

    public BatchLoader<Guid, Data.Campaigns.CampaignTemplate> CampaignTemplates { get; } = new((ids, ct) =>
        db.CampaignTemplates.AsNoTracking().Where(t => ids.Contains(t.Id)).ToDictionaryAsync(t => t.Id, ct));

    /// <summary>Each campaign's follow-up steps, step 1 first; a campaign with none is missing.</summary>
    public BatchLoader<Guid, List<Data.Campaigns.FollowUpStep>> FollowUpSteps { get; } = new(async (ids, ct) =>
        (await db.FollowUpSteps.AsNoTracking().Where(s => ids.Contains(s.CampaignId)).OrderBy(s => s.Number).ToListAsync(ct))
            .GroupBy(s => s.CampaignId).ToDictionary(g => g.Key, g => g.ToList()));

    /// <summary>Each recipient's follow-up steps with their texts, step 1 first; a recipient with none is missing.</summary>
    public BatchLoader<Guid, List<Data.Campaigns.CampaignFollowUp>> RecipientFollowUps { get; } = new(async (ids, ct) =>
        (await db.CampaignFollowUps.AsNoTracking().Include(f => f.Activity).Where(f => ids.Contains(f.RecipientId)).OrderBy(f => f.Step).ToListAsync(ct))
            .GroupBy(f => f.RecipientId).ToDictionary(g => g.Key, g => g.ToList()));

    /// <summary>Members per list, in one GROUP BY; a list without members is missing, and counts 0.</summary>
    public BatchLoader<Guid, int> ListMemberCounts { get; } = new((ids, ct) =>
        db.ContactListMembers.Where(m => ids.Contains(m.ListId)).GroupBy(m => m.ListId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct));
}
