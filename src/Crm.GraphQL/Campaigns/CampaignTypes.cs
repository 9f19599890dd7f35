using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Campaigns;
using Crm.GraphQL.Activities;
using Crm.GraphQL.ContactLists;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Loading;
using Crm.GraphQL.PhoneNumbers;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Loading;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Campaigns;

internal sealed class CampaignType : ObjectGraphType<Campaign>
{
    public CampaignType()
    {
        Name = "Campaign";
        Description = "A marketing text to an audience, in up to five variants, paced inside a daily window. Live through campaignUpdated.";
        Interface<NodeInterfaceType>();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Name).Description("The campaign's name.");
        Field(x => x.Status, type: typeof(NonNullGraphType<CampaignStatusType>)).Description("Where it stands.");
        Field<StringGraphType>("audienceFilter").Description("The audience as a ContactFilterInput, in JSON; evaluated when the campaign starts.").Resolve(ctx => ctx.Source.AudienceFilter);
        Field<ContactListType>("audienceList").Description("The audience as a contact list's members when the campaign starts (within audienceFilter, when both are set).")
            .Resolve(ctx => ctx.Source.ListId is { } id ? Loaders(ctx).ContactLists.Load(id) : null);
        Field<PhoneNumberType>("phoneNumber").Description("The line it sends from; null until it starts when the default line is meant.")
            .Resolve(ctx => ctx.Source.PhoneNumberId is { } id ? Loaders(ctx).PhoneNumbers.Load(id) : null);
        Field(x => x.ConsentAttested).Description("The sender attests that contacts with no consent on record gave it.");
        Field(x => x.DailyCap, nullable: true).Description("At most this many of its texts a day; the line's cap (Campaigns:DailyCap) applies as well.");
        Field(x => x.PerMinute).Description("At most this many texts a minute.");
        Field<NonNullGraphType<SendWindowType>>("window").Description("When in the business's day it sends.").Resolve(ctx => ctx.Source);
        Field(x => x.StartAt, nullable: true).Description("When a SCHEDULED campaign starts.");
        Field(x => x.TimeZone, nullable: true).Description("The IANA zone the start time was given in.");
        Field(x => x.MinSample).Description("Sends per variant before the A/B test is read.");
        Field(x => x.Confidence).Description("The confidence at which a variant wins (0.95: 95%).");
        Field(x => x.AutoWinner).Description("Once a variant wins on reply rate, the remaining sends use it.");
        Field<CampaignVariantType>("winner").Description("The variant declared the winner, when one was.")
            .Resolve(ctx => ctx.Source.Variants.FirstOrDefault(v => v.Id == ctx.Source.WinnerVariantId));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CampaignVariantType>>>>("variants").Description("Its texts, A first.")
            .Resolve(ctx => ctx.Source.Variants.OrderBy(v => v.Label, StringComparer.Ordinal));
        Field<NonNullGraphType<CampaignResultType>>("results").Description("Its counts, per variant and by hour, and the A/B tests. Reads every recipient: select it for one campaign, not a list.")
            .ResolveAsync(async ctx => await ctx.RequestServices!.GetRequiredService<CampaignResults>().OfAsync(ctx.Source, ctx.CancellationToken));
        Field<NonNullGraphType<CampaignRecipientsConnectionType>>("recipients")
            .Description("Its recipients in the order they are texted; empty until it starts.")
            .PagingArguments()
            .Argument<RecipientStatusType>("status", "Only recipients in this state.")
            .ResolveAsync(async ctx =>
            {
                var recipients = ctx.RequestServices!.GetRequiredService<CrmDbContext>().CampaignRecipients.AsNoTracking().Include(r => r.Activity)
                    .Where(r => r.CampaignId == ctx.Source.Id);
                if (ctx.GetArgument<RecipientStatus?>("status") is { } status)
                {
                    recipients = recipients.Where(RecipientStatuses.Is(status));
                }

                return await Keyset.PageAsync(recipients, RecipientOrder, ctx.GetPageRequest(), ctx.CancellationToken);
            });
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CampaignEventType>>>>("history").Description("What happened to it, oldest first.")
            .ResolveAsync(async ctx => await ctx.RequestServices!.GetRequiredService<CrmDbContext>().CampaignEvents.AsNoTracking()
                .Where(e => e.CampaignId == ctx.Source.Id).OrderBy(e => e.Id).ToListAsync(ctx.CancellationToken));
        Field(x => x.CreatedAt).Description("When it was created.");
        Field(x => x.UpdatedAt).Description("When it last changed.");
        Field(x => x.CreatedBy).Description("Who created it.");
        Field(x => x.StartedAt, nullable: true).Description("When it started and its recipients were fixed.");
        Field(x => x.FinishedAt, nullable: true).Description("When it completed or was cancelled.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FollowUpStepType>>>>("followUps").Description("Its follow-up sequence, step 1 first.")
            .Resolve(ctx => Loaders(ctx).FollowUpSteps.Load(ctx.Source.Id).Then(steps => steps ?? []));
        Field<CampaignRecurrenceType>("recurrence").Description("How it recurs; null: it runs once.").Resolve(ctx => ctx.Source.Recurrence is null ? null : ctx.Source);
        Field<NonNullGraphType<CampaignsConnectionType>>("runs")
            .Description("A recurring campaign's runs, first run first: each a campaign of its own, with its own recipients and results.")
            .PagingArguments()
            .ResolveAsync(async ctx => await Keyset.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Campaigns.AsNoTracking().Include(c => c.Variants).Where(c => c.ParentId == ctx.Source.Id),
                RunOrder, ctx.GetPageRequest(), ctx.CancellationToken));
        Field<CampaignType>("parent").Description("The recurring campaign this is a run of.")
            .Resolve(ctx => ctx.Source.ParentId is { } id ? Loaders(ctx).Campaigns.Load(id) : null);
    }

    private static readonly SortKey<CampaignRecipient>[] RecipientOrder = [SortKey<CampaignRecipient>.Asc(r => r.Id)];

    private static readonly SortKey<Campaign>[] RunOrder = [SortKey<Campaign>.Asc(c => c.CreatedAt), SortKey<Campaign>.Asc(c => c.Id)];

    private static CrmLoaders Loaders(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<CrmLoaders>();
}

internal sealed class SendWindowType : ObjectGraphType<Campaign>
{
    public SendWindowType()
    {
        Name = "SendWindow";
        Description = "A daily window in the business time zone (Crm:BusinessTimeZone); the recipient's quiet hours apply as well.";
        Field<NonNullGraphType<StringGraphType>>("start").Description("Opens at, HH:mm.").Resolve(ctx => ctx.Source.WindowStart);
        Field<NonNullGraphType<StringGraphType>>("end").Description("Closes at, HH:mm.").Resolve(ctx => ctx.Source.WindowEnd);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IntGraphType>>>>("days").Description("ISO days it opens on: 1 Monday … 7 Sunday.").Resolve(ctx => ctx.Source.WindowDays);
    }
}

internal sealed class CampaignRecurrenceType : ObjectGraphType<Campaign>
{
    public CampaignRecurrenceType()
    {
        Name = "CampaignRecurrence";
        Description = "How a campaign recurs: each run at its first start's local time of day in its time zone, DST or not.";
        Field<NonNullGraphType<RecurrenceFrequencyType>>("frequency").Description("Every day, every week on days, or every month.").Resolve(ctx => ctx.Source.Recurrence!.Value);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IntGraphType>>>>("days").Description("WEEKLY: the ISO days it runs on, 1 Monday … 7 Sunday.").Resolve(ctx => ctx.Source.RecurrenceDays);
        Field<DateTimeType>("until").Description("No run starts after this.").Resolve(ctx => ctx.Source.RecurrenceUntil);
        Field<NonNullGraphType<BooleanGraphType>>("includePreviouslyTexted").Description("Runs text contacts earlier runs texted too.").Resolve(ctx => ctx.Source.IncludePreviouslyTexted);
        Field<DateTimeType>("nextRunAt").Description("When the next run starts, while it is SCHEDULED.")
            .Resolve(ctx => ctx.Source.Status == CampaignStatus.Scheduled ? ctx.Source.StartAt : null);
    }
}

internal sealed class FollowUpStepType : ObjectGraphType<FollowUpStep>
{
    public FollowUpStepType()
    {
        Name = "FollowUpStep";
        Description = "A step of a campaign's follow-up sequence: sent afterHours after the text before it, unless the contact replied or opted out since.";
        Field<NonNullGraphType<IntGraphType>>("step").Description("1 for the first follow-up.").Resolve(ctx => ctx.Source.Number);
        Field<NonNullGraphType<IntGraphType>>("afterHours").Description("Hours after the text before it was sent.").Resolve(ctx => ctx.Source.DelayHours);
        Field<IntGraphType>("afterDays").Description("The same in days, when it is whole days.").Resolve(ctx => ctx.Source.DelayHours % 24 == 0 ? ctx.Source.DelayHours / 24 : null);
        Field(x => x.Body).Description("The template.");
    }
}

internal sealed class CampaignVariantType : ObjectGraphType<CampaignVariant>
{
    public CampaignVariantType()
    {
        Name = "CampaignVariant";
        Description = "One text of a campaign; recipients get one variant each, by a hash of the campaign and contact ids.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Label).Description("A, B, C…");
        Field(x => x.Body).Description("The template, with variables such as {firstName|there}.");
        Field(x => x.Weight).Description("Its share of the audience, relative to the other variants' weights.");
    }
}

internal sealed class CampaignEventType : ObjectGraphType<CampaignEvent>
{
    public CampaignEventType()
    {
        Name = "CampaignEvent";
        Description = "A step in a campaign's history: created, updated, scheduled, started, paused, resumed, winner, completed, cancelled, start-failed, and run (a recurring campaign started a run).";
        Field(x => x.Kind).Description("What happened.");
        Field(x => x.At).Description("When.");
        Field(x => x.Detail, nullable: true).Description("More about it, in words.");
        Field(x => x.Actor).Description("Who did it; system for the dispatcher.");
    }
}

/// <summary>A recipient's state as staff read it: the row's own, or its text's.</summary>
internal enum RecipientStatus
{
    Pending,
    Queued,
    Sent,
    Delivered,
    Failed,
    Skipped,
    Replied,
    OptedOut,
}

internal static class RecipientStatuses
{
    public static RecipientStatus Of(CampaignRecipient r) => r switch
    {
        { OptedOutAt: not null } => RecipientStatus.OptedOut,
        { RepliedAt: not null } => RecipientStatus.Replied,
        { State: RecipientState.Skipped } => RecipientStatus.Skipped,
        { State: RecipientState.Pending } => RecipientStatus.Pending,
        { Activity.OutboundStatus: MessageStatus.Delivered } => RecipientStatus.Delivered,
        { Activity.OutboundStatus: MessageStatus.Failed } => RecipientStatus.Failed,
        { Activity.OutboundStatus: MessageStatus.Skipped or MessageStatus.Cancelled } => RecipientStatus.Skipped,
        { Activity.SentAt: not null } => RecipientStatus.Sent,
        _ => RecipientStatus.Queued,
    };

    /// <summary>The same as <see cref="Of"/>, in SQL.</summary>
    public static System.Linq.Expressions.Expression<Func<CampaignRecipient, bool>> Is(RecipientStatus status) => status switch
    {
        RecipientStatus.OptedOut => r => r.OptedOutAt != null,
        RecipientStatus.Replied => r => r.OptedOutAt == null && r.RepliedAt != null,
        RecipientStatus.Pending => r => r.OptedOutAt == null && r.RepliedAt == null && r.State == RecipientState.Pending,
        RecipientStatus.Skipped => r => r.OptedOutAt == null && r.RepliedAt == null && (r.State == RecipientState.Skipped
            || (r.State == RecipientState.Queued && (r.Activity!.OutboundStatus == MessageStatus.Skipped || r.Activity.OutboundStatus == MessageStatus.Cancelled))),
        RecipientStatus.Delivered => r => r.OptedOutAt == null && r.RepliedAt == null && r.State == RecipientState.Queued && r.Activity!.OutboundStatus == MessageStatus.Delivered,
        RecipientStatus.Failed => r => r.OptedOutAt == null && r.RepliedAt == null && r.State == RecipientState.Queued && r.Activity!.OutboundStatus == MessageStatus.Failed,
        RecipientStatus.Sent => r => r.OptedOutAt == null && r.RepliedAt == null && r.State == RecipientState.Queued && r.Activity!.SentAt != null
            && r.Activity.OutboundStatus != MessageStatus.Delivered && r.Activity.OutboundStatus != MessageStatus.Failed,
        _ => r => r.OptedOutAt == null && r.RepliedAt == null && r.State == RecipientState.Queued && r.Activity!.SentAt == null
            && (r.Activity.OutboundStatus == MessageStatus.Queued || r.Activity.OutboundStatus == MessageStatus.Sending),
    };
}

/// <summary>A follow-up step's state as staff read it: the row's own, or its text's.</summary>
internal enum FollowUpStatus
{
    Pending,
    Queued,
    Sent,
    Delivered,
    Failed,
    Skipped,
    Stopped,
}

internal sealed class CampaignFollowUpType : ObjectGraphType<CampaignFollowUp>
{
    public CampaignFollowUpType()
    {
        Name = "CampaignFollowUp";
        Description = "One recipient's follow-up step, there once the text before it was sent: sent once at most.";
        Field(x => x.Step).Description("The step's number, 1 first.");
        Field<NonNullGraphType<FollowUpStatusType>>("status").Description("Where it stands.").Resolve(ctx => ctx.Source switch
        {
            { State: FollowUpState.Stopped } => FollowUpStatus.Stopped,
            { State: FollowUpState.Skipped } => FollowUpStatus.Skipped,
            { State: FollowUpState.Pending } => FollowUpStatus.Pending,
            { Activity.OutboundStatus: MessageStatus.Delivered } => FollowUpStatus.Delivered,
            { Activity.OutboundStatus: MessageStatus.Failed } => FollowUpStatus.Failed,
            { Activity.OutboundStatus: MessageStatus.Skipped or MessageStatus.Cancelled } => FollowUpStatus.Skipped,
            { Activity.SentAt: not null } => FollowUpStatus.Sent,
            _ => FollowUpStatus.Queued,
        });
        Field(x => x.DueAt).Description("When it came (or comes) due: the text before it was sent, plus the step's delay.");
        Field(x => x.SkipReason, type: typeof(SkipReasonType)).Description("Why it was not sent, when it was skipped.");
        Field(x => x.SkipNote, nullable: true).Description("The skip's details in words.");
        Field(x => x.QueuedAt, nullable: true).Description("The turn its text was queued for.");
        Field<DateTimeType>("sentAt").Description("When OpenPhone accepted its text.").Resolve(ctx => ctx.Source.Activity?.SentAt);
        Field(x => x.StoppedAt, nullable: true).Description("When the dispatcher found the contact's reply or opt-out and ended the sequence here.");
        Field<ActivityType>("message").Description("The text it was sent.").Resolve(ctx => ctx.Source.Activity);
    }
}

internal sealed class CampaignRecipientType : ObjectGraphType<CampaignRecipient>
{
    public CampaignRecipientType()
    {
        Name = "CampaignRecipient";
        Description = "One contact of a started campaign: texted once at most.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field<NonNullGraphType<ContactType>>("contact").Description("Who.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().Contacts.Load(ctx.Source.ContactId).Then(c => c!));
        Field<NonNullGraphType<IdGraphType>>("variantId").Description("The variant it got (or gets), as the global id of a CampaignVariant.")
            .Resolve(ctx => NodeId.Encode("CampaignVariant", ctx.Source.VariantId));
        Field<NonNullGraphType<RecipientStatusType>>("status").Description("Where it stands.").Resolve(ctx => RecipientStatuses.Of(ctx.Source));
        Field(x => x.SkipReason, type: typeof(SkipReasonType)).Description("Why it was not texted, when it was not.");
        Field<StringGraphType>("skipNote").Description("The skip's details in words, or why its text was not sent.")
            .Resolve(ctx => ctx.Source.SkipNote ?? (ctx.Source.Activity?.OutboundStatus is MessageStatus.Skipped or MessageStatus.Failed ? ctx.Source.Activity.FailureReason : null));
        Field<ActivityType>("message").Description("The text it was sent.").Resolve(ctx => ctx.Source.Activity);
        Field(x => x.QueuedAt, nullable: true).Description("The turn its text was queued for.");
        Field<DateTimeType>("sentAt").Description("When OpenPhone accepted its text.").Resolve(ctx => ctx.Source.Activity?.SentAt);
        Field<DateTimeType>("deliveredAt").Description("When its text was delivered.").Resolve(ctx => ctx.Source.Activity?.DeliveredAt);
        Field(x => x.RepliedAt, nullable: true).Description("When the contact first replied (within Campaigns:AttributionWindowDays).");
        Field(x => x.OptedOutAt, nullable: true).Description("When the contact opted out in reply.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CampaignFollowUpType>>>>("followUps").Description("Its follow-up steps so far, step 1 first.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().RecipientFollowUps.Load(ctx.Source.Id).Then(steps => steps ?? []));
    }
}

internal sealed class CampaignRecipientsConnectionType() : ConnectionGraphType<CampaignRecipientType, CampaignRecipient>("CampaignRecipients", "A page of a campaign's recipients.");

internal sealed class CampaignsConnectionType() : ConnectionGraphType<CampaignType, Campaign>("Campaigns", "A page of campaigns.");

internal sealed class CampaignStatusType : EnumerationGraphType<CampaignStatus>
{
    public CampaignStatusType()
    {
        Name = "CampaignStatus";
        Description = "DRAFT → SCHEDULED → RUNNING ⇄ PAUSED → COMPLETED, or CANCELLED.";
    }
}

internal sealed class RecurrenceFrequencyType : EnumerationGraphType<RecurrenceFrequency>
{
    public RecurrenceFrequencyType()
    {
        Name = "RecurrenceFrequency";
        Description = "DAILY, WEEKLY (on given ISO days) or MONTHLY (on the first start's day of the month, or the month's last day when it is shorter).";
    }
}

internal sealed class FollowUpStatusType : EnumerationGraphType<FollowUpStatus>
{
    public FollowUpStatusType()
    {
        Name = "FollowUpStatus";
        Description = "PENDING (waiting for its time, then a turn) → QUEUED → SENT → DELIVERED / FAILED, or SKIPPED (with a reason), or STOPPED: the contact replied or opted out first.";
    }
}

internal sealed class RecipientStatusType : EnumerationGraphType<RecipientStatus>
{
    public RecipientStatusType()
    {
        Name = "RecipientStatus";
        Description = "PENDING → QUEUED → SENT → DELIVERED / FAILED, or SKIPPED (with a reason); REPLIED and OPTED_OUT once the contact answers.";
    }
}

internal sealed class SkipReasonType : EnumerationGraphType<SkipReason>
{
    public SkipReasonType()
    {
        Name = "SkipReason";
        Description = "Why a contact is not texted: OPTED_OUT, NO_CONSENT (none on record and none attested), REVIEW_PENDING (a reply awaits an opt-out review), NO_MOBILE_NUMBER, EXCLUDED_TAG (do-not-contact, office: Campaigns:ExcludeTags), FREQUENCY_CAP (Compliance:MarketingMaxPerContact), ALREADY_TEXTED, REFUSED (by the send gate).";
    }
}
