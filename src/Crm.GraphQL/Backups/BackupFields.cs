using Crm.Data;
using Crm.Data.Backups;
using Crm.Data.Jobs;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using Crm.Jobs.Backups;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Backups;

internal static class BackupQueries
{
    private static readonly SortKey<Backup>[] Order = [SortKey<Backup>.Desc(b => b.StartedAt), SortKey<Backup>.Desc(b => b.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<BackupsConnectionType>>("backups")
            .Description("Database backups and media copies, newest first: when each ran, what it wrote and how it ended.")
            .RequireRole(CrmRole.Admin)
            .PagingArguments()
            .Argument<BackupKindType>("kind", "Only backups of this kind.")
            .ResolveAsync(async ctx =>
            {
                var backups = ctx.RequestServices!.GetRequiredService<CrmDbContext>().Backups.AsNoTracking();
                if (ctx.GetArgument<BackupKind?>("kind") is { } kind)
                {
                    backups = backups.Where(b => b.Kind == kind);
                }

                return await Keyset.PageAsync(backups, Order, ctx.GetPageRequest(), ctx.CancellationToken);
            });
    }
}

internal static class BackupMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<RunBackupPayloadType>>("runBackup")
            .Description("Runs a backup now, outside the daily schedule, and returns it when it has finished (succeeded or failed). At most one a minute of each kind.")
            .RequireRole(CrmRole.Admin)
            .Argument<NonNullGraphType<RunBackupInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var kind = ctx.GetArgument<RunBackupInput>("input").Kind;
                var services = ctx.RequestServices!;
                var database = services.GetRequiredService<DatabaseBackups>();
                if (!database.Enabled)
                {
                    return new RunBackupPayload(null, [new BackupsNotConfiguredException()]);
                }

                var tick = JobLeases.TickOf(services.GetRequiredService<TimeProvider>().GetUtcNow(), TimeSpan.FromMinutes(1));
                if (!await services.GetRequiredService<JobLeases>().TryTakeAsync($"backup-now-{kind}".ToLowerInvariant(), tick, ctx.CancellationToken))
                {
                    return new RunBackupPayload(null, [new BackupBusyException()]);
                }

                // Not the request's token: a dump the client stops waiting for still finishes and is recorded.
                var backup = kind == BackupKind.Database
                    ? await database.CreateAsync(BackupTrigger.Manual, CancellationToken.None)
                    : await services.GetRequiredService<MediaBackups>().RunAsync(BackupTrigger.Manual, CancellationToken.None);
                return new RunBackupPayload(backup, null);
            });
    }
}

internal sealed class BackupsNotConfiguredException() : DomainException("Backups are off: Backups:Directory is not set on the server.");

internal sealed class BackupBusyException() : DomainException("A backup of this kind was started less than a minute ago; try again in a minute.");

internal sealed record RunBackupPayload(Backup? Backup, IReadOnlyList<DomainException>? Errors);

internal sealed class RunBackupInput
{
    public BackupKind Kind { get; set; } = BackupKind.Database;
}

internal sealed class RunBackupInputType : InputObjectGraphType<RunBackupInput>
{
    public RunBackupInputType()
    {
        Name = "RunBackupInput";
        Description = "The backup to run now.";
        Field(x => x.Kind, type: typeof(BackupKindType)).DefaultValue(BackupKind.Database).Description("DATABASE (the default) or MEDIA.");
    }
}

internal sealed class RunBackupErrorType : UnionGraphType
{
    public RunBackupErrorType()
    {
        Name = "RunBackupError";
        Description = "Why runBackup ran nothing.";
        Type<BackupsNotConfiguredErrorType>();
        Type<BackupBusyErrorType>();
    }
}

internal sealed class RunBackupPayloadType : ObjectGraphType<RunBackupPayload>
{
    public RunBackupPayloadType()
    {
        Name = "RunBackupPayload";
        Description = "The backup that ran (its status says whether it succeeded), or errors.";
        Field(x => x.Backup, type: typeof(BackupType)).Description("The finished backup.");
        Field(x => x.Errors, type: typeof(ListGraphType<NonNullGraphType<RunBackupErrorType>>)).Description("Why nothing ran; null when one did.");
    }
}

internal sealed class BackupsNotConfiguredErrorType : ErrorGraphType<BackupsNotConfiguredException>
{
    public BackupsNotConfiguredErrorType()
        : base("BackupsNotConfiguredError", "Backups are off on this server (Backups:Directory is not set).")
    {
    }
}

internal sealed class BackupBusyErrorType : ErrorGraphType<BackupBusyException>
{
    public BackupBusyErrorType()
        : base("BackupBusyError", "A backup of this kind was started less than a minute ago, on this or another instance.")
    {
    }
}

internal sealed class BackupType : ObjectGraphType<Backup>
{
    public BackupType()
    {
        Name = "Backup";
        Description = "One backup run: a database dump or a copy of new media files.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Kind, type: typeof(NonNullGraphType<BackupKindType>)).Description("What was backed up.");
        Field(x => x.Trigger, type: typeof(NonNullGraphType<BackupTriggerType>)).Description("What started it.");
        Field(x => x.Status, type: typeof(NonNullGraphType<BackupStatusType>)).Description("How it ended, or RUNNING.");
        Field(x => x.StartedAt).Description("When it started.");
        Field(x => x.FinishedAt, nullable: true).Description("When it ended.");
        Field(x => x.FileName, nullable: true).Description("The dump's file name in Backups:Directory and in the bucket; null for media.");
        Field<LongGraphType>("sizeBytes").Description("The dump's size, or the bytes a media run fetched.").Resolve(ctx => ctx.Source.SizeBytes);
        Field(x => x.Sha256, nullable: true).Description("SHA-256 of the dump file, lowercase hex.");
        Field(x => x.Uploaded).Description("True once the dump is in the S3 bucket too.");
        Field(x => x.MediaCopied, nullable: true).Description("Media files a media run copied.");
        Field(x => x.MediaFailed, nullable: true).Description("Media URLs a media run could not fetch; they are tried again next run.");
        Field(x => x.Error, nullable: true).Description("Why it failed, or what went partly wrong (an upload, some media).");
        Field(x => x.DeletedAt, nullable: true).Description("When retention removed the dump (Backups:KeepDaily, KeepWeekly).");
    }
}

internal sealed class BackupKindType : EnumerationGraphType<BackupKind>
{
    public BackupKindType()
    {
        Name = "BackupKind";
        Description = "What a backup holds.";
        Values["DATABASE"]!.Description = "The whole database: pg_dump -Fc, or SQLite's online backup.";
        Values["MEDIA"]!.Description = "Media files activities link to, copied by content hash.";
    }
}

internal sealed class BackupTriggerType : EnumerationGraphType<BackupTrigger>
{
    public BackupTriggerType()
    {
        Name = "BackupTrigger";
        Description = "What started a backup.";
        Values["SCHEDULE"]!.Description = "The daily job.";
        Values["MANUAL"]!.Description = "An admin, through runBackup.";
        Values["COMMAND"]!.Description = "The server binary's backup create.";
    }
}

internal sealed class BackupStatusType : EnumerationGraphType<BackupStatus>
{
    public BackupStatusType()
    {
        Name = "BackupStatus";
        Description = "Where a backup stands.";
        Values["RUNNING"]!.Description = "Still running.";
        Values["SUCCEEDED"]!.Description = "Written (see uploaded and error for the bucket copy).";
        Values["FAILED"]!.Description = "Nothing usable was written; error says why.";
    }
}

internal sealed class BackupsConnectionType() : ConnectionGraphType<BackupType, Backup>("Backups", "A page of backups, newest first.");
