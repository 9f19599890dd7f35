using Crm.Data.Campaigns;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class CampaignTemplateConfiguration : IEntityTypeConfiguration<CampaignTemplate>
{
    public void Configure(EntityTypeBuilder<CampaignTemplate> builder)
    {
        builder.Property(t => t.Id).ValueGeneratedNever();
        builder.Property(t => t.Name).HasMaxLength(CampaignTemplate.MaxNameLength);
        builder.Property(t => t.Body).HasMaxLength(Outbound.OutboundOptions.MaxBodyLength);
        builder.Property(t => t.CreatedBy).HasMaxLength(200);
        builder.HasIndex(t => t.Name).IsUnique();
        // The default order of campaignTemplates: newest first, keyset-paged.
        builder.HasIndex(t => new { t.CreatedAt, t.Id }).IsDescending(true, true);
    }
}
