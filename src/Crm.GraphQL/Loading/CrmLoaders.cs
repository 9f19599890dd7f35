using Crm.Data;
using Crm.Data.Activities;
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
}
