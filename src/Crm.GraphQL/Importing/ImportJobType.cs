using Crm.Data;
using Crm.Data.Importing;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Importing;

internal sealed class ImportJobType : ObjectGraphType<ImportJob>
{
    public ImportJobType()
    {
        Name = "ImportJob";
        Description = "One run of an import: the OpenPhone history or a CSV of contacts. Live through importJobUpdated.";
        Interface<NodeInterfaceType>();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Kind, type: typeof(NonNullGraphType<ImportKindType>)).Description("What it imports.");
        Field(x => x.Status, type: typeof(NonNullGraphType<ImportStatusType>)).Description("Where it stands.");
        Field(x => x.Phase).Description("The step under way, in words: lines, counting, conversations; validating, importing; done.");
        Field(x => x.Total, nullable: true).Description("Items it expects (conversations, rows); null until known.");
        Field(x => x.Done).Description("Items imported so far.");
        Field(x => x.Failed).Description("Items that could not be imported; each is listed in errors (history) or the report (CSV).");
        Field(x => x.CreatedAt).Description("When it was asked for.");
        Field(x => x.StartedAt, nullable: true).Description("When a worker first took it up.");
        Field(x => x.FinishedAt, nullable: true).Description("When it ended.");
        Field(x => x.StartedBy).Description("Who asked for it.");
        Field(x => x.Runs).Description("Worker runs so far: more than 1 means it resumed from its checkpoint after a restart or an error.");
        Field(x => x.FailureReason, nullable: true).Description("Why it failed as a whole, when it did.");
        Field(x => x.CancelRequested).Description("Cancellation was asked for; a running job stops at its next step.");
        Field<DateTimeOffset?>("eta", nullable: true).Description("When it should end at its pace so far; null until it has a total and some progress.")
            .Resolve(ctx => Eta(ctx.Source, ctx.RequestServices!.GetRequiredService<TimeProvider>().GetUtcNow()));
        Field<NonNullGraphType<StringGraphType>>("reportUrl").Description("The report as CSV: each CSV row's outcome, or each history item that failed and why.")
            .Resolve(ctx => $"/imports/{NodeId.Encode(Name, ctx.Source.Id)}/report");
        Field<NonNullGraphType<ImportErrorsConnectionType>>("errors")
            .Description("Items that failed and why, oldest first.")
            .PagingArguments()
            .ResolveAsync(async ctx =>
            {
                var errors = ctx.RequestServices!.GetRequiredService<CrmDbContext>().ImportErrors.AsNoTracking().Where(e => e.JobId == ctx.Source.Id);
                return await Keyset.PageAsync(errors, ErrorOrder, ctx.GetPageRequest(), ctx.CancellationToken);
            });
    }

    private static readonly SortKey<ImportError>[] ErrorOrder = [SortKey<ImportError>.Asc(e => e.Id)];

    /// <summary>The pace since it started, carried over what remains.</summary>
    internal static DateTimeOffset? Eta(ImportJob job, DateTimeOffset now)
    {
        if (job is not { Status: ImportStatus.Running, StartedAt: { } started, Total: > 0 } || job.Done + job.Failed == 0)
        {
            return job.FinishedAt;
        }

        var handled = job.Done + job.Failed;
        var remaining = Math.Max(0, job.Total.Value - handled);
        return now + ((now - started) / handled * remaining);
    }
}

internal sealed class ImportErrorType : ObjectGraphType<ImportError>
{
    public ImportErrorType()
    {
        Name = "ImportError";
        Description = "One item an import could not take.";
        Field(x => x.Item).Description("Which: \"conversation CN…\", \"row 17\".");
        Field(x => x.Message).Description("Why.");
        Field(x => x.At).Description("When it failed.");
    }
}

internal sealed class ImportErrorsConnectionType() : ConnectionGraphType<ImportErrorType, ImportError>("ImportErrors", "A page of an import's errors.");

internal sealed class ImportJobsConnectionType() : ConnectionGraphType<ImportJobType, ImportJob>("ImportJobs", "A page of import jobs.");

internal sealed class ImportKindType : EnumerationGraphType<ImportKind>
{
    public ImportKindType()
    {
        Name = "ImportKind";
        Description = "OPEN_PHONE_HISTORY: texts and calls from OpenPhone. CONTACTS: a CSV of contacts.";
    }
}

internal sealed class ImportStatusType : EnumerationGraphType<ImportStatus>
{
    public ImportStatusType()
    {
        Name = "ImportStatus";
        Description = "QUEUED, RUNNING (resumes from its checkpoint after a restart), SUCCEEDED (with failed items listed), FAILED as a whole, or CANCELLED.";
    }
}
