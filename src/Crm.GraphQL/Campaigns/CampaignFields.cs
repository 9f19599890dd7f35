using Crm.Data;
using Crm.Data.Campaigns;
using Crm.Data.Events;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;
using static Crm.GraphQL.Schema.SubscriptionFields;

namespace Crm.GraphQL.Campaigns;

/// <summary>What campaigns may be filtered and ordered by.</summary>
internal static class CampaignFilters
{
    private static readonly Lazy<FilterDefinition<Campaign>> LazyFilter = new(() => new FilterDefinition<Campaign>()
        .Id("id", c => c.Id, "Campaign", "The campaign's global id.")
        .String("name", c => c.Name, "The campaign's name.")
        .Comparable("status", c => c.Status, typeof(CampaignStatusOperationFilterInputType), "Where it stands.")
        .Comparable("createdAt", c => c.CreatedAt, typeof(DateTimeOperationFilterInputType), "When it was created.")
        .Comparable("startedAt", c => c.StartedAt, typeof(DateTimeOperationFilterInputType), "When it started."));

    private static readonly Lazy<SortDefinition<Campaign>> LazySort = new(() => new SortDefinition<Campaign>()
        .Field("name", c => c.Name, "The campaign's name.")
        .Field("createdAt", c => c.CreatedAt, "When it was created.")
        .Field("startedAt", c => c.StartedAt, "When it started; not started last ascending."));

    public static FilterDefinition<Campaign> Filter => LazyFilter.Value;

    public static SortDefinition<Campaign> Sort => LazySort.Value;

    public static readonly SortKey<Campaign>[] DefaultOrder = [SortKey<Campaign>.Desc(c => c.CreatedAt), SortKey<Campaign>.Desc(c => c.Id)];

    public static readonly SortKey<Campaign> Tiebreak = SortKey<Campaign>.Asc(c => c.Id);
}

internal sealed class CampaignFilterInputType() : FilterInputGraphType<Campaign>("CampaignFilterInput", CampaignFilters.Filter);

internal sealed class CampaignSortInputType() : SortInputGraphType<Campaign>("CampaignSortInput", CampaignFilters.Sort);

internal sealed class CampaignStatusOperationFilterInputType() : EnumOperationFilterInputType<CampaignStatusType>("CampaignStatusOperationFilterInput");

internal static class CampaignQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<CampaignsConnectionType>>("campaigns")
            .Description("Campaigns, newest first unless ordered otherwise.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .FilterArguments(typeof(CampaignFilterInputType), typeof(CampaignSortInputType))
            .ResolveAsync(async ctx => await ctx.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Campaigns.AsNoTracking().Include(c => c.Variants),
                CampaignFilters.Filter, CampaignFilters.Sort, CampaignFilters.DefaultOrder, CampaignFilters.Tiebreak));

        query.Field<CampaignType>("campaign")
            .Description("One campaign; null when there is none with this id.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("id", "The campaign's global id.")
            .ResolveAsync(async ctx => await FindAsync(ctx, NodeId.Decode(ctx.GetArgument<string>("id"), "Campaign")));

        query.Field<NonNullGraphType<AudiencePreviewType>>("audiencePreview")
            .Description("Who an audience would text now: the count, a sample, and how many are excluded and why.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<AudiencePreviewInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var input = ctx.GetArgument<Dictionary<string, object?>>("input");
                var campaigns = ctx.RequestServices!.GetRequiredService<CampaignOperations>();
                var where = CampaignInputs.Filter(input, ctx.Schema);
                var listId = CampaignInputs.Id(input, "listId", "ContactList");
                var campaignId = CampaignInputs.Id(input, "campaignId", "Campaign");
                var sample = input.GetValueOrDefault("sample") as int? ?? 10;
                var attested = input.GetValueOrDefault("consentAttested") as bool? ?? false;
                try
                {
                    return await campaigns.PreviewAsync(where, listId, campaignId, attested, Math.Clamp(sample, 0, 50), ctx.CancellationToken);
                }
                catch (DomainException ex)
                {
                    throw new ExecutionError(ex.Message) { Code = "INVALID_ARGUMENT" };
                }
            });
    }

    internal static Task<Campaign?> FindAsync(IResolveFieldContext ctx, Guid id) =>
        ctx.RequestServices!.GetRequiredService<CrmDbContext>().Campaigns.AsNoTracking().Include(c => c.Variants).FirstOrDefaultAsync(c => c.Id == id, ctx.CancellationToken);
}

internal static class CampaignMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CampaignPayloadType>>("createCampaign")
            .Description("Creates a DRAFT campaign. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<CreateCampaignInputType>>("input")
            .ResolveAsync(ctx => RunAsync(ctx, (campaigns, input, actor, ct) => campaigns.CreateAsync(CampaignInputs.Draft(input, ctx.Schema), actor, ct)));

        mutation.Field<NonNullGraphType<CampaignPayloadType>>("updateCampaign")
            .Description("Changes a DRAFT, SCHEDULED or PAUSED campaign; omitted fields stay. A running one is refused: pause it, or duplicate it. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<UpdateCampaignInputType>>("input")
            .ResolveAsync(ctx => RunAsync(ctx, (campaigns, input, actor, ct) => campaigns.UpdateAsync(Id(input), CampaignInputs.Draft(input, ctx.Schema), actor, ct)));

        Transition(mutation, "duplicateCampaign", "Copies a campaign's settings and variants into a new DRAFT. Audited.", (c, id, a, ct) => c.DuplicateAsync(id, a, ct));
        Transition(mutation, "deleteCampaign", "Deletes a DRAFT; a campaign that started keeps its record (cancel it). Audited.", (c, id, a, ct) => c.DeleteAsync(id, a, ct));
        Transition(mutation, "startCampaign", "DRAFT or SCHEDULED → RUNNING now: the audience is evaluated and each recipient gets its variant. Audited.", (c, id, a, ct) => c.StartAsync(id, a, ct));
        Transition(mutation, "pauseCampaign", "RUNNING → PAUSED: no new texts are queued until it resumes. Audited.", (c, id, a, ct) => c.PauseAsync(id, a, ct));
        Transition(mutation, "resumeCampaign", "PAUSED → RUNNING, where it stopped; today's remaining cap spreads over the rest of today's window. Audited.", (c, id, a, ct) => c.ResumeAsync(id, a, ct));
        Transition(mutation, "cancelCampaign", "Ends a campaign for good; its texts queued and not yet sent are cancelled. Audited.", (c, id, a, ct) => c.CancelAsync(id, a, ct));

        mutation.Field<NonNullGraphType<CampaignPayloadType>>("scheduleCampaign")
            .Description("DRAFT or SCHEDULED → SCHEDULED to start at startAt. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<ScheduleCampaignInputType>>("input")
            .ResolveAsync(ctx => RunAsync(ctx, (campaigns, input, actor, ct) =>
                campaigns.ScheduleAsync(Id(input), (DateTimeOffset)input["startAt"]!, input.GetValueOrDefault("timeZone") as string, actor, ct)));
    }

    private static void Transition(ObjectGraphType mutation, string name, string description, Func<CampaignOperations, Guid, Data.Audit.Actor, CancellationToken, Task<Campaign>> operation) =>
        mutation.Field<NonNullGraphType<CampaignPayloadType>>(name)
            .Description(description)
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<CampaignIdInputType>>("input")
            .ResolveAsync(ctx => RunAsync(ctx, (campaigns, input, actor, ct) => operation(campaigns, Id(input), actor, ct)));

    private static async Task<object?> RunAsync(IResolveFieldContext ctx, Func<CampaignOperations, Dictionary<string, object?>, Data.Audit.Actor, CancellationToken, Task<Campaign>> operation)
    {
        var input = ctx.GetArgument<Dictionary<string, object?>>("input");
        var campaigns = ctx.RequestServices!.GetRequiredService<CampaignOperations>();
        return await MutationConventions.RunAsync(async () =>
        {
            var campaign = await operation(campaigns, input, ctx.Actor(), ctx.CancellationToken);
            // Read back with its variants as committed (a deleted draft is returned as it was).
            return new Payload(await CampaignQueries.FindAsync(ctx, campaign.Id) ?? campaign, null);
        });
    }

    private static Guid Id(Dictionary<string, object?> input) => NodeId.Decode((string)input["id"]!, "Campaign");
}

internal static class CampaignSubscriptions
{
    public static void Register(ObjectGraphType subscription)
    {
        subscription.Field<NonNullGraphType<CampaignType>>("campaignUpdated")
            .Description("A campaign changed: its status or settings, or its progress (texts queued, recipients skipped, replies); optionally only one campaign's.")
            .RequireRole(CrmRole.Viewer)
            .Argument<IdGraphType>("id", "Only this campaign.")
            .ResolveAsync(async ctx => await CampaignQueries.FindAsync(ctx, ((CampaignUpdated)ctx.Source!).CampaignId) ?? throw Gone("Campaign"))
            .ResolveStream(ctx =>
            {
                var id = OptionalId(ctx, "id", "Campaign");
                return Events<CampaignUpdated>(ctx, CampaignUpdated.TopicName, e => id is null || e.CampaignId == id);
            });
    }
}

internal sealed class AudiencePreviewType : ObjectGraphType<AudiencePreview>
{
    public AudiencePreviewType()
    {
        Name = "AudiencePreview";
        Description = "Who an audience would text now. total = eligible + the excluded.";
        Field(x => x.Total).Description("Contacts in the audience.");
        Field(x => x.Eligible).Description("Of them, those a campaign would text.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ContactType>>>>("sample").Description("Some of the eligible.")
            .ResolveAsync(async ctx => await ctx.RequestServices!.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking()
                .Where(c => ctx.Source.Sample.Contains(c.Id)).ToListAsync(ctx.CancellationToken));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SkipCountType>>>>("excluded").Description("The others, by reason.")
            .Resolve(ctx => ctx.Source.Excluded.OrderBy(p => p.Key));
    }
}

internal sealed class CampaignStateErrorType : ErrorGraphType<CampaignStateException>
{
    public CampaignStateErrorType()
        : base("CampaignStateError", "The campaign is not in a state the action applies to.")
    {
        Field(x => x.Status, type: typeof(NonNullGraphType<CampaignStatusType>)).Description("Where the campaign stands.");
        Field(x => x.Action).Description("What was asked: start, pause, resume, cancel, edit, delete, schedule.");
    }
}

internal sealed class CampaignErrorType() : ErrorUnionGraphType(
    "CampaignError", typeof(NotFoundErrorType), typeof(InvalidFieldErrorType), typeof(CampaignStateErrorType), typeof(InvalidTemplateErrorType), typeof(Messages.EmptyMessageErrorType), typeof(Messages.MessageTooLongErrorType));

internal sealed class CampaignPayloadType() : PayloadGraphType<CampaignType, CampaignErrorType>("CampaignPayload", "campaign", "The campaign as it now stands.");
