using Crm.Data;
using Crm.Data.Activities;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Activities;

internal sealed class ActivityType : ObjectGraphType<Activity>
{
    public ActivityType()
    {
        Name = "Activity";
        Description = "One message or call on a conversation's timeline.";
        Interface<NodeInterfaceType>();
        this.Projected();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Reads(x => x.Id).Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Kind, type: typeof(NonNullGraphType<ActivityKindType>)).Description("Message or call.");
        Field(x => x.Direction, type: typeof(NonNullGraphType<ActivityDirectionType>)).Description("Whether the contact or the business started it.");
        Field(x => x.Body, nullable: true).Description("The message text; null for calls.");
        Field(x => x.Media, type: typeof(NonNullGraphType<ListGraphType<NonNullGraphType<MediaItemType>>>)).Description("Pictures and files attached to a message.");
        Field<MessageStatusType>("status").Reads(x => x.OutboundStatus).Resolve(ctx => ctx.Source.OutboundStatus)
            .Description("Where an outgoing text is: QUEUED, SENDING, SENT, DELIVERED, or FAILED, SKIPPED, CANCELLED. Null for calls and incoming texts.");
        Field(x => x.FailureReason, nullable: true).Description("Why an outgoing text was FAILED or SKIPPED, in words staff can act on.");
        Field(x => x.GateNote, nullable: true).Description("The send gate's note on an outgoing text it deferred or let through with a warning.");
        Field(x => x.Segments, nullable: true).Description("SMS parts the outgoing text takes: what OpenPhone charges for.");
        Field(x => x.QueuedAt, nullable: true).Description("When the outgoing text was queued (again, after a retry).");
        Field(x => x.SentAt, nullable: true).Description("When OpenPhone accepted the outgoing text.");
        Field(x => x.DeliveredAt, nullable: true).Description("When the carrier reported the outgoing text delivered.");
        Field<StringGraphType>("openPhoneStatus").Reads(x => x.Status).Resolve(ctx => ctx.Source.Status)
            .Description("OpenPhone's own status word: queued, sent, delivered, failed, received for messages; completed, missed, no-answer … for calls.");
        Field(x => x.ErrorText, nullable: true).Description("OpenPhone's error text for a message, when it reported one.");
        Field(x => x.OpenPhoneId, nullable: true).Description("OpenPhone's id (AC…).");
        Field(x => x.FromNumber, nullable: true).Description("The sending number in E.164.");
        Field(x => x.ToNumbers).Description("The receiving numbers in E.164.");
        Field(x => x.OccurredAt).Description("When it happened (OpenPhone's createdAt).");
        Field(x => x.CreatedAt).Description("When the CRM recorded it.");
        Field(x => x.DurationSeconds, nullable: true).Description("Call length in seconds.");
        Field(x => x.AnsweredAt, nullable: true).Description("When the call was answered; null for a missed call.");
        Field(x => x.CompletedAt, nullable: true).Description("When the call ended.");
        Field(x => x.Recordings, type: typeof(NonNullGraphType<ListGraphType<NonNullGraphType<MediaItemType>>>)).Description("Call recordings.");
        Field(x => x.Voicemail, type: typeof(MediaItemType)).Description("The voicemail left on a missed call.");
        Field(x => x.AiSummary, nullable: true).Description("OpenPhone's AI summary of the call.");
        Field(x => x.AiNextSteps).Description("OpenPhone's AI next steps for the call.");
        Field(x => x.Transcript, type: typeof(NonNullGraphType<ListGraphType<NonNullGraphType<TranscriptLineType>>>)).Description("The call transcript, line by line.");
        Field<NonNullGraphType<BooleanGraphType>>("missed")
            .Description("True for a call that nobody answered (missed, no-answer, or voicemail).")
            .Reads(x => x.Kind, x => x.AnsweredAt, x => x.DurationSeconds)
            .Resolve(ctx => ctx.Source.Kind == ActivityKind.Call && ctx.Source.AnsweredAt is null && ctx.Source.DurationSeconds is null);
        Field<NonNullGraphType<IdGraphType>>("conversationId")
            .Description("The conversation this belongs to (its global id).")
            .Reads(x => x.ConversationId)
            .Resolve(ctx => NodeId.Encode("Conversation", ctx.Source.ConversationId));
        Field<Contacts.ContactType>("contact")
            .Description("The contact on the other end.")
            .Reads(x => x.ContactId)
            .Resolve(ctx => ctx.LoadProjected(ctx.RequestServices!.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking(), c => c.Id, ctx.Source.ContactId));
    }
}

internal sealed class ActivityKindType : EnumerationGraphType<ActivityKind>
{
    public ActivityKindType()
    {
        Name = "ActivityKind";
        Description = "What an activity is.";
    }
}

internal sealed class MessageStatusType : EnumerationGraphType<MessageStatus>
{
    public MessageStatusType()
    {
        Name = "MessageStatus";
        Description = "An outgoing text's life: QUEUED → SENDING → SENT → DELIVERED; or FAILED (retryMessage queues it again), SKIPPED (the send gate refused it, e.g. the contact opted out) or CANCELLED.";
    }
}

internal sealed class ActivityDirectionType : EnumerationGraphType<ActivityDirection>
{
    public ActivityDirectionType()
    {
        Name = "ActivityDirection";
        Description = "INCOMING: from the contact. OUTGOING: from the business.";
    }
}

internal sealed class MediaItemType : ObjectGraphType<MediaItem>
{
    public MediaItemType()
    {
        Name = "MediaItem";
        Description = "A file held by OpenPhone: a picture, a recording or a voicemail.";
        Field(x => x.Url).Description("Where to fetch it.");
        Field(x => x.Type, nullable: true).Description("Its MIME type.");
        Field(x => x.DurationSeconds, nullable: true).Description("Length of a recording or voicemail in seconds.");
    }
}

internal sealed class TranscriptLineType : ObjectGraphType<TranscriptLine>
{
    public TranscriptLineType()
    {
        Name = "TranscriptLine";
        Description = "One utterance of a call transcript.";
        Field(x => x.Speaker, nullable: true).Description("Who spoke.");
        Field(x => x.Text).Description("What was said.");
        Field(x => x.StartSeconds, nullable: true).Description("Offset from the start of the call.");
        Field(x => x.EndSeconds, nullable: true).Description("Offset of the end of the utterance.");
    }
}

internal sealed class ActivitiesConnectionType() : ConnectionGraphType<ActivityType, Activity>("Activities", "A page of a timeline, newest first.");
