using Crm.Data;
using Crm.Data.Events;
using Crm.Data.Importing;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using Crm.Jobs.Importing;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;
using static Crm.GraphQL.Schema.SubscriptionFields;

namespace Crm.GraphQL.Importing;

internal static class ImportQueries
{
    private static readonly SortKey<ImportJob>[] Order = [SortKey<ImportJob>.Desc(j => j.CreatedAt), SortKey<ImportJob>.Desc(j => j.Id)];

    public static void Register(ObjectGraphType query)
    {
        query.Field<ImportJobType>("importJob")
            .Description("One import job; null when there is none with this id.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "The job's global id.")
            .ResolveAsync(async ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<string>("id"), "ImportJob");
                return await ctx.RequestServices!.GetRequiredService<CrmDbContext>().ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ctx.CancellationToken);
            });

        query.Field<NonNullGraphType<ImportJobsConnectionType>>("importJobs")
            .Description("Import jobs, newest first.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .Argument<ImportKindType>("kind", "Only jobs of this kind.")
            .Argument<ImportStatusType>("status", "Only jobs in this state.")
            .ResolveAsync(async ctx =>
            {
                var jobs = ctx.RequestServices!.GetRequiredService<CrmDbContext>().ImportJobs.AsNoTracking();
                if (ctx.GetArgument<ImportKind?>("kind") is { } kind)
                {
                    jobs = jobs.Where(j => j.Kind == kind);
                }

                if (ctx.GetArgument<ImportStatus?>("status") is { } status)
                {
                    jobs = jobs.Where(j => j.Status == status);
                }

                return await Keyset.PageAsync(jobs, Order, ctx.GetPageRequest(), ctx.CancellationToken);
            });
    }
}

internal static class ImportMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<ImportJobPayloadType>>("startOpenPhoneImport")
            .Description("Imports texts and calls from OpenPhone: what changed since the last successful run, or everything with full (or the first time). While one runs, returns that one. Audited.")
            .RequireRole(CrmRole.Admin)
            .Argument<StartOpenPhoneImportInputType>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<StartOpenPhoneImportInput?>("input") ?? new StartOpenPhoneImportInput(null, null);
                var imports = ctx.RequestServices!.GetRequiredService<HistoryImports>();
                return MutationConventions.RunAsync(async () => new Payload(await imports.StartAsync(input.Full ?? false, input.Since, ctx.Actor(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<ImportJobPayloadType>>("cancelImportJob")
            .Description("Stops an import: a queued one at once, a running one at its next step; what it imported stays. A history import needs an admin. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<CancelImportJobInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<CancelImportJobInput>("input").Id, "ImportJob");
                var services = ctx.RequestServices!;
                var kind = await services.GetRequiredService<CrmDbContext>().ImportJobs.Where(j => j.Id == id).Select(j => (ImportKind?)j.Kind).FirstOrDefaultAsync(ctx.CancellationToken);
                if (kind == ImportKind.OpenPhoneHistory && ctx.User.Role() < CrmRole.Admin)
                {
                    throw new ExecutionError("Only an admin may cancel the OpenPhone history import.") { Code = "AUTH_NOT_AUTHORIZED" };
                }

                var jobs = services.GetRequiredService<ImportJobOperations>();
                return await MutationConventions.RunAsync(async () => new Payload(await jobs.CancelAsync(id, ctx.Actor(), ctx.CancellationToken), null));
            });
    }
}

internal static class ImportSubscriptions
{
    public static void Register(ObjectGraphType subscription)
    {
        subscription.Field<NonNullGraphType<ImportJobType>>("importJobUpdated")
            .Description("An import job's status, phase or counts changed; optionally only one job's.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("id", "Only this job.")
            .ResolveAsync(async ctx =>
            {
                var id = ((ImportJobUpdated)ctx.Source!).JobId;
                var db = ctx.RequestServices!.GetRequiredService<CrmDbContext>();
                return await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ctx.CancellationToken) ?? throw Gone("ImportJob");
            })
            .ResolveStream(ctx =>
            {
                var id = OptionalId(ctx, "id", "ImportJob");
                return Events<ImportJobUpdated>(ctx, ImportJobUpdated.TopicName, e => id is null || e.JobId == id);
            });
    }
}

internal sealed record StartOpenPhoneImportInput(bool? Full, DateTimeOffset? Since);

internal sealed class StartOpenPhoneImportInputType : InputObjectGraphType<StartOpenPhoneImportInput>
{
    public StartOpenPhoneImportInputType()
    {
        Name = "StartOpenPhoneImportInput";
        Description = "What to import; by default what changed since the last successful run began.";
        Field(x => x.Full, nullable: true).Description("Everything OpenPhone has, not only what changed.");
        Field(x => x.Since, nullable: true).Description("Only conversations updated after this time.");
    }
}

internal sealed record CancelImportJobInput(string Id);

internal sealed class CancelImportJobInputType : InputObjectGraphType<CancelImportJobInput>
{
    public CancelImportJobInputType()
    {
        Name = "CancelImportJobInput";
        Description = "The job to stop.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The job's global id.");
    }
}

internal sealed class ImportJobErrorType() : ErrorUnionGraphType("ImportJobError", typeof(NotFoundErrorType), typeof(InvalidFieldErrorType));

internal sealed class ImportJobPayloadType() : PayloadGraphType<ImportJobType, ImportJobErrorType>("ImportJobPayload", "job", "The job as it now stands.");
