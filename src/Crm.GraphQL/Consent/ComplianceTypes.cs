using Crm.Data;
using Crm.Data.Compliance;
using Crm.Data.Outbound;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Consent;

/// <summary>The send gate for the composer, and the review queue of possible opt-outs.</summary>
internal static class ComplianceQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<SendGateDecisionType>>("sendGateCheck")
            .Description("What the send gate would decide for a text to the contact now, and why: for the composer, before sending.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<IdGraphType>>("contactId", "The contact's global id.")
            .Argument<NonNullGraphType<SendPurposeType>>("purpose", "What the text is for.")
            .Argument<BooleanGraphType>("consentAttested", "For MARKETING: the list was obtained with consent.")
            .ResolveAsync(async ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<string>("contactId"), "Contact");
                var services = ctx.RequestServices!;
                var contact = await services.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ctx.CancellationToken)
                    ?? throw new ExecutionError("Contact not found.") { Code = "NOT_FOUND" };
                return await services.GetRequiredService<SendGate>().DecideAsync(
                    contact, ctx.GetArgument<SendPurpose>("purpose"), ctx.GetArgument<bool?>("consentAttested") ?? false, null, ctx.CancellationToken);
            });

        query.Field<NonNullGraphType<OptOutReviewsConnectionType>>("optOutReviews")
            .Description("Replies that may be opt-outs, for staff to decide; marketing to the contact is held while one is PENDING. Oldest first.")
            .RequireRole(CrmRole.Marketer)
            .PagingArguments()
            .FilterArguments(typeof(OptOutReviewFilterInputType), typeof(OptOutReviewSortInputType))
            .ResolveAsync(async ctx => await ctx.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().OptOutReviews.AsNoTracking(),
                OptOutReviewFilters.Filter, OptOutReviewFilters.Sort, OptOutReviewFilters.DefaultOrder, OptOutReviewFilters.Tiebreak));
    }
}

internal static class ComplianceMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<ResolveOptOutReviewPayloadType>>("resolveOptOutReview")
            .Description("Decides a held reply: OPTED_OUT records the opt-out (source REVIEW) and sends its one confirmation; KEPT lets marketing resume. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<ResolveOptOutReviewInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<ResolveOptOutReviewInput>("input");
                var id = NodeId.Decode(input.Id, "OptOutReview");
                var inbound = ctx.RequestServices!.GetRequiredService<InboundConsent>();
                return MutationConventions.RunAsync(async () => new Payload(await inbound.ResolveReviewAsync(id, input.Decision, ctx.Actor(), ctx.CancellationToken), null));
            });
    }
}

internal sealed class SendGateDecisionType : ObjectGraphType<GateDecision>
{
    public SendGateDecisionType()
    {
        Name = "SendGateDecision";
        Description = "The send gate's decision for one text.";
        Field(x => x.Verdict, type: typeof(NonNullGraphType<GateVerdictType>)).Description("ALLOW, DEFER (sent later, never dropped) or REFUSE.");
        Field(x => x.DeferUntil, nullable: true).Description("With DEFER: the earliest time it may go.");
        Field(x => x.Reasons).Description("Why it is deferred or refused.");
        Field(x => x.Warnings).Description("What staff should know about an allowed text, such as the recipient's late hour.");
    }
}

internal sealed class GateVerdictType : EnumerationGraphType<GateVerdict>
{
    public GateVerdictType()
    {
        Name = "GateVerdict";
        Description = "What the send gate decided.";
    }
}

internal sealed class SendPurposeType : EnumerationGraphType<SendPurpose>
{
    public SendPurposeType()
    {
        Name = "SendPurpose";
        Description = "CONVERSATION: staff texting a contact (any hour, with a warning outside 8:00–21:00). MARKETING: campaigns and follow-ups (consent, quiet hours, caps). CONFIRMATION, HELP: the CRM's own replies.";
    }
}

internal sealed class TimeZoneSourceType : EnumerationGraphType<TimeZoneSource>
{
    public TimeZoneSourceType()
    {
        Name = "TimeZoneSource";
        Description = "Where a contact's time zone came from: CONTACT (set on it), ADDRESS (its state), PHONE (area code and exchange), BUSINESS (Crm:BusinessTimeZone).";
    }
}

internal sealed class OptOutReviewType : ObjectGraphType<OptOutReview>
{
    public OptOutReviewType()
    {
        Name = "OptOutReview";
        Description = "A reply the detector read as a possible opt-out, for staff to decide.";
        Interface<NodeInterfaceType>();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Status, type: typeof(NonNullGraphType<OptOutReviewStatusType>)).Description("PENDING until decided.");
        Field(x => x.Score).Description("The detector's score, 0–1.");
        Field(x => x.Reason).Description("The detector's rule, in words.");
        Field(x => x.CreatedAt).Description("When the reply came.");
        Field(x => x.ResolvedAt, nullable: true).Description("When staff decided.");
        Field(x => x.ResolvedBy, nullable: true).Description("Who decided.");
        Field<ContactType>("contact").Description("Who replied.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().Contacts.Load(ctx.Source.ContactId));
        Field<NonNullGraphType<Activities.ActivityType>>("activity").Description("The reply.")
            .ResolveAsync(async ctx => await ctx.RequestServices!.GetRequiredService<CrmDbContext>().Activities.AsNoTracking().FirstAsync(a => a.Id == ctx.Source.ActivityId, ctx.CancellationToken));
    }
}

internal sealed class OptOutReviewStatusType : EnumerationGraphType<OptOutReviewStatus>
{
    public OptOutReviewStatusType()
    {
        Name = "OptOutReviewStatus";
        Description = "PENDING, or staff's decision: OPTED_OUT or KEPT.";
    }
}

internal sealed class OptOutReviewsConnectionType() : ConnectionGraphType<OptOutReviewType, OptOutReview>("OptOutReviews", "A page of opt-out reviews.");

internal static class OptOutReviewFilters
{
    private static readonly Lazy<FilterDefinition<OptOutReview>> LazyFilter = new(() => new FilterDefinition<OptOutReview>()
        .Comparable("status", r => r.Status, typeof(OptOutReviewStatusOperationFilterInputType), "PENDING, OPTED_OUT or KEPT.")
        .Id("contactId", r => r.ContactId, "Contact", "The contact's global id.")
        .Comparable("score", r => r.Score, typeof(FloatOperationFilterInputType), "The detector's score.")
        .Comparable("createdAt", r => r.CreatedAt, typeof(DateTimeOperationFilterInputType), "When the reply came."));

    private static readonly Lazy<SortDefinition<OptOutReview>> LazySort = new(() => new SortDefinition<OptOutReview>()
        .Field("createdAt", r => r.CreatedAt, "When the reply came.")
        .Field("score", r => r.Score, "The detector's score."));

    public static FilterDefinition<OptOutReview> Filter => LazyFilter.Value;

    public static SortDefinition<OptOutReview> Sort => LazySort.Value;

    public static readonly SortKey<OptOutReview>[] DefaultOrder = [SortKey<OptOutReview>.Asc(r => r.CreatedAt), SortKey<OptOutReview>.Asc(r => r.Id)];

    public static readonly SortKey<OptOutReview> Tiebreak = SortKey<OptOutReview>.Asc(r => r.Id);
}

internal sealed class OptOutReviewFilterInputType() : FilterInputGraphType<OptOutReview>("OptOutReviewFilterInput", OptOutReviewFilters.Filter);

internal sealed class OptOutReviewSortInputType() : SortInputGraphType<OptOutReview>("OptOutReviewSortInput", OptOutReviewFilters.Sort);

internal sealed class OptOutReviewStatusOperationFilterInputType() : EnumOperationFilterInputType<OptOutReviewStatusType>("OptOutReviewStatusOperationFilterInput");

internal sealed record ResolveOptOutReviewInput(string Id, OptOutReviewStatus Decision);

internal sealed class ResolveOptOutReviewInputType : InputObjectGraphType<ResolveOptOutReviewInput>
{
    public ResolveOptOutReviewInputType()
    {
        Name = "ResolveOptOutReviewInput";
        Description = "The review and staff's decision.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The review's global id.");
        Field(x => x.Decision, type: typeof(NonNullGraphType<OptOutReviewStatusType>)).Description("OPTED_OUT or KEPT.");
    }
}

internal sealed class ResolveOptOutReviewErrorType() : ErrorUnionGraphType("ResolveOptOutReviewError", typeof(NotFoundErrorType), typeof(InvalidFieldErrorType));

internal sealed class ResolveOptOutReviewPayloadType() : PayloadGraphType<OptOutReviewType, ResolveOptOutReviewErrorType>("ResolveOptOutReviewPayload", "review", "The review as decided.");

internal sealed class SendRefusedErrorType : ErrorGraphType<SendRefusedException>
{
    public SendRefusedErrorType()
        : base("SendRefusedError", "The send gate refused the text: no consent on record for marketing, or no allowed hour soon.")
    {
        Field(x => x.Reasons).Description("Why, one reason a line.");
    }
}
