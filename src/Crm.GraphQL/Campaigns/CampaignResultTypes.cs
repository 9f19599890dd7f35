using Crm.Data.Campaigns;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

internal sealed class CampaignResultType : ObjectGraphType<CampaignResult>
{
    public CampaignResultType()
    {
        Name = "CampaignResults";
        Description = "A campaign's counts, from its recipients and their texts' own status.";
        Field<NonNullGraphType<CampaignTallyType>>("total").Description("The whole campaign.").Resolve(ctx => ctx.Source.Total);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<VariantResultType>>>>("variants").Description("Per variant, A first.").Resolve(ctx => ctx.Source.Variants);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<HourlyCountType>>>>("hourly").Description("Sends, deliveries and replies per hour (UTC), for charts.").Resolve(ctx => ctx.Source.Hourly);
        Field<NonNullGraphType<VariantTestType>>("replyTest").Description("The A/B test on reply rate.").Resolve(ctx => ctx.Source.ReplyTest);
        Field<NonNullGraphType<VariantTestType>>("optOutTest").Description("The A/B test on opt-out rate.").Resolve(ctx => ctx.Source.OptOutTest);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FollowUpTallyType>>>>("followUps").Description("Per follow-up step, step 1 first; the totals above count first texts only.")
            .Resolve(ctx => ctx.Source.FollowUps);
    }
}

internal sealed class FollowUpTallyType : ObjectGraphType<FollowUpTally>
{
    public FollowUpTallyType()
    {
        Name = "FollowUpTally";
        Description = "One follow-up step's counts, over the recipients whose text before it was sent: total = waiting + due + queued + sent + failedToSend + skipped + stopped.";
        Field<NonNullGraphType<FollowUpStepType>>("step").Description("The step.").Resolve(ctx => ctx.Source.Step);
        Field(x => x.Total).Description("Recipients the step was scheduled for.");
        Field(x => x.Waiting).Description("Not due yet.");
        Field(x => x.Due).Description("Due, waiting for a turn, the window or their quiet hours.");
        Field(x => x.Queued).Description("Texts queued and not yet accepted by OpenPhone.");
        Field(x => x.Sent).Description("Texts OpenPhone accepted.");
        Field(x => x.FailedToSend).Description("Texts OpenPhone never accepted.");
        Field(x => x.Skipped).Description("Not texted: opted out, capped, held for review, or refused by the send gate.");
        Field(x => x.Stopped).Description("Not texted because the contact replied or opted out after the text before it.");
        Field(x => x.Replied).Description("Sent step texts the contact then replied to.");
        Field(x => x.Cost).Description("What its sent texts cost, in dollars.");
    }
}

internal sealed class CampaignTallyType : ObjectGraphType<CampaignTally>
{
    public CampaignTallyType()
    {
        Name = "CampaignTally";
        Description = "Counts that add up: audience = pending + queued + sent + failedToSend + skipped; sent = delivered + undelivered + awaitingDelivery.";
        Field(x => x.Audience).Description("Recipients.");
        Field(x => x.Pending).Description("Waiting for a turn, the window or their quiet hours to end.");
        Field(x => x.Queued).Description("Texts queued and not yet accepted by OpenPhone.");
        Field(x => x.Sent).Description("Texts OpenPhone accepted.");
        Field(x => x.Delivered).Description("Of those, delivered.");
        Field(x => x.Undelivered).Description("Of those, reported failed.");
        Field(x => x.AwaitingDelivery).Description("Of those, not reported on yet.");
        Field(x => x.FailedToSend).Description("Texts OpenPhone never accepted.");
        Field(x => x.Skipped).Description("Recipients not texted, for skippedBy's reasons.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SkipCountType>>>>("skippedBy").Description("The skipped, by reason.")
            .Resolve(ctx => ctx.Source.SkippedBy.OrderBy(p => p.Key));
        Field(x => x.Replied).Description("Sent texts the contact replied to.");
        Field(x => x.OptedOut).Description("Sent texts the contact opted out in reply to.");
        Field(x => x.ReplyRate).Description("Replied ÷ sent.");
        Field(x => x.OptOutRate).Description("Opted out ÷ sent.");
        Field(x => x.Cost).Description("What the sent texts cost, in dollars (segments × OpenPhone:PricePerSegment).");
    }
}

internal sealed class SkipCountType : ObjectGraphType<KeyValuePair<SkipReason, int>>
{
    public SkipCountType()
    {
        Name = "SkipCount";
        Description = "How many were skipped for one reason.";
        Field<NonNullGraphType<SkipReasonType>>("reason").Description("Why.").Resolve(ctx => ctx.Source.Key);
        Field<NonNullGraphType<IntGraphType>>("count").Description("How many.").Resolve(ctx => ctx.Source.Value);
    }
}

internal sealed class VariantResultType : ObjectGraphType<VariantResult>
{
    public VariantResultType()
    {
        Name = "VariantResult";
        Description = "One variant's counts.";
        Field<NonNullGraphType<CampaignVariantType>>("variant").Description("The variant.").Resolve(ctx => ctx.Source.Variant);
        Field<NonNullGraphType<CampaignTallyType>>("tally").Description("Its counts.").Resolve(ctx => ctx.Source.Tally);
    }
}

internal sealed class HourlyCountType : ObjectGraphType<HourlyCount>
{
    public HourlyCountType()
    {
        Name = "HourlyCount";
        Description = "One hour of a campaign.";
        Field(x => x.Hour).Description("The hour's start, UTC.");
        Field(x => x.Sent).Description("Texts OpenPhone accepted in it.");
        Field(x => x.Delivered).Description("Texts delivered in it.");
        Field(x => x.Replied).Description("First replies in it.");
    }
}

internal sealed class VariantTestType : ObjectGraphType<VariantTest>
{
    public VariantTestType()
    {
        Name = "VariantTest";
        Description = "A two-proportion z-test of the leading variant against the runner-up, once each has minSample sends.";
        Field(x => x.Metric).Description("replyRate or optOutRate.");
        Field<IdGraphType>("leaderId").Description("The leading variant (a CampaignVariant's global id), once the test is read.")
            .Resolve(ctx => ctx.Source.LeaderId is { } id ? NodeId.Encode("CampaignVariant", id) : null);
        Field(x => x.Z, nullable: true).Description("The z statistic.");
        Field(x => x.Confidence, nullable: true).Description("1 − the two-sided p-value.");
        Field(x => x.Significant).Description("Confidence reached the campaign's threshold.");
        Field(x => x.Note).Description("The reading, in words.");
    }
}
