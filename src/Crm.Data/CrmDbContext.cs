using Crm.Data.Activities;
using Crm.Data.Audit;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Data.Outbound;
using Crm.Data.PhoneNumbers;
using Crm.Data.Users;
using Crm.Data.Webhooks;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data;

/// <summary>The CRM's one unit of work, shared by both database providers.</summary>
/// <remarks>
/// Each provider has its own migration set, bound to a derived context:
/// <c>dotnet ef migrations add &lt;Name&gt; --project src/Crm.Data --startup-project src/Crm.GraphQL --context PostgresCrmDbContext --output-dir Migrations/Postgres</c>
/// and the same with <c>SqliteCrmDbContext</c> / <c>Migrations/Sqlite</c>. <c>scripts/add-migration.sh &lt;Name&gt;</c> runs both.
/// </remarks>
public abstract class CrmDbContext(DbContextOptions options) : IdentityUserContext<CrmUser, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<Contact> Contacts => Set<Contact>();

    public DbSet<Conversation> Conversations => Set<Conversation>();

    public DbSet<Activity> Activities => Set<Activity>();

    public DbSet<PhoneNumber> PhoneNumbers => Set<PhoneNumber>();

    public DbSet<Invitation> Invitations => Set<Invitation>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<WebhookEvent> WebhookEvents => Set<WebhookEvent>();

    public DbSet<OutboundMessage> OutboundMessages => Set<OutboundMessage>();

    public DbSet<SendRateSlot> SendRateSlots => Set<SendRateSlot>();

    public DbSet<Consent.ConsentEntry> ConsentEntries => Set<Consent.ConsentEntry>();

    public DbSet<Compliance.OptOutReview> OptOutReviews => Set<Compliance.OptOutReview>();

    public DbSet<Importing.ImportJob> ImportJobs => Set<Importing.ImportJob>();

    public DbSet<Importing.ImportError> ImportErrors => Set<Importing.ImportError>();

    public DbSet<Importing.ImportFileChunk> ImportFileChunks => Set<Importing.ImportFileChunk>();

    public DbSet<Importing.ImportRow> ImportRows => Set<Importing.ImportRow>();

    public DbSet<ContactLists.ContactList> ContactLists => Set<ContactLists.ContactList>();

    public DbSet<ContactLists.ContactListMember> ContactListMembers => Set<ContactLists.ContactListMember>();

    public DbSet<Campaigns.CampaignTemplate> CampaignTemplates => Set<Campaigns.CampaignTemplate>();

    public DbSet<Campaigns.Campaign> Campaigns => Set<Campaigns.Campaign>();

    public DbSet<Campaigns.CampaignVariant> CampaignVariants => Set<Campaigns.CampaignVariant>();

    public DbSet<Campaigns.CampaignRecipient> CampaignRecipients => Set<Campaigns.CampaignRecipient>();

    public DbSet<Campaigns.CampaignEvent> CampaignEvents => Set<Campaigns.CampaignEvent>();

    public DbSet<Campaigns.FollowUpStep> FollowUpSteps => Set<Campaigns.FollowUpStep>();

    public DbSet<Campaigns.CampaignFollowUp> CampaignFollowUps => Set<Campaigns.CampaignFollowUp>();

    public DbSet<Jobs.JobLease> JobLeases => Set<Jobs.JobLease>();

    public DbSet<Monitoring.SyntheticCheck> SyntheticChecks => Set<Monitoring.SyntheticCheck>();

    /// <summary>ASP.NET Data Protection's key ring: every instance signs and reads sign-in cookies with the same keys.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Backups.Backup> Backups => Set<Backups.Backup>();

    public DbSet<Backups.MediaCopy> MediaCopies => Set<Backups.MediaCopy>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(CrmDbContext).Assembly);
    }
}

/// <summary>Production provider.</summary>
public sealed class PostgresCrmDbContext(DbContextOptions<PostgresCrmDbContext> options) : CrmDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        Configurations.JsonColumn.UseJsonb(builder);
    }
}

/// <summary>Embedded default provider.</summary>
public sealed class SqliteCrmDbContext(DbContextOptions<SqliteCrmDbContext> options) : CrmDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // SQLite has no timestamp type: stored as sortable integers so ORDER BY and range filters run in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
    }
}
