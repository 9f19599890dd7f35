using Crm.Data.Backups;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Crm.Data.Configurations;

internal sealed class BackupConfiguration : IEntityTypeConfiguration<Backup>
{
    public void Configure(EntityTypeBuilder<Backup> builder)
    {
        builder.Property(b => b.Id).ValueGeneratedNever();
        builder.Property(b => b.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(b => b.Trigger).HasConversion<string>().HasMaxLength(16);
        builder.Property(b => b.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(b => b.FileName).HasMaxLength(200);
        builder.Property(b => b.Sha256).HasMaxLength(64);
        builder.Property(b => b.Error).HasMaxLength(2000);
        builder.HasIndex(b => new { b.StartedAt, b.Id });
    }
}

internal sealed class MediaCopyConfiguration : IEntityTypeConfiguration<MediaCopy>
{
    public void Configure(EntityTypeBuilder<MediaCopy> builder)
    {
        builder.HasKey(m => m.Url);
        builder.Property(m => m.Sha256).HasMaxLength(64);
        builder.Property(m => m.ContentType).HasMaxLength(100);
        builder.Property(m => m.LastError).HasMaxLength(1000);
        builder.HasIndex(m => m.Sha256);
    }
}
