using Crm.Data;
using Crm.Data.Conversations;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Loading;
using Crm.GraphQL.PhoneNumbers;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Loading;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Conversations;

internal sealed class ConversationType : ObjectGraphType<Conversation>
{
    public ConversationType()
    {
        Name = "Conversation";
        Description = "The thread between one contact and one of the business's lines: texts and calls on one timeline.";
        Interface<NodeInterfaceType>();
        this.Projected();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Reads(x => x.Id).Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field<NonNullGraphType<ContactType>>("contact")
            .Description("Who the business is talking to.")
            // Joined into a page of conversations when selected; batched otherwise.
            .ReadsJoined(x => x.Contact)
            .Resolve(ctx => ctx.Source.Contact as object ?? ctx.RequestServices!.GetRequiredService<CrmLoaders>().Contacts.Load(ctx.Source.ContactId));
        Field<NonNullGraphType<PhoneNumberType>>("phoneNumber")
            .Description("The business line the conversation runs on.")
            .ReadsJoined(x => x.PhoneNumber)
            .Resolve(ctx => ctx.Source.PhoneNumber as object ?? ctx.RequestServices!.GetRequiredService<CrmLoaders>().PhoneNumbers.Load(ctx.Source.PhoneNumberId));
        Field(x => x.OpenPhoneConversationId, nullable: true).Description("OpenPhone's id of the conversation (CN…), once known.");
        Field<NonNullGraphType<BooleanGraphType>>("unread").Description("Whether incoming activity awaits a reader.").Reads(x => x.UnreadCount).Resolve(ctx => ctx.Source.UnreadCount > 0);
        Field(x => x.UnreadCount).Description("Incoming activities since the conversation was last read.");
        Field(x => x.Status, type: typeof(NonNullGraphType<ConversationStatusType>)).Description("OPEN until someone marks it DONE.");
        Field(x => x.SnoozedUntil, nullable: true).Description("Hidden from the inbox until then.");
        Field(x => x.LastActivityAt).Description("When the latest message or call happened.");
        Field(x => x.LastActivityKind, type: typeof(ActivityKindType)).Description("Whether the latest activity is a message or a call.");
        Field(x => x.LastActivityPreview, nullable: true).Description("A short text of the latest activity for list views.");
        Field(x => x.LastInboundAt, nullable: true).Description("When the contact last texted or called.");
        Field(x => x.CreatedAt).Description("When the conversation began.");
        Field<ActivityType>("lastActivity")
            .Description("The latest message or call.")
            .Reads(x => x.LastActivityId)
            .Resolve(ctx => ctx.Source.LastActivityId is { } id ? ctx.LoadProjected(ctx.RequestServices!.GetRequiredService<CrmDbContext>().Activities.AsNoTracking(), a => a.Id, id) : null);
        Field<NonNullGraphType<ActivitiesConnectionType>>("activities")
            .Description("The timeline, newest first unless ordered otherwise.")
            .PagingArguments()
            .FilterArguments(typeof(ActivityFilterInputType), typeof(ActivitySortInputType))
            .Reads(x => x.Id)
            .Resolve(ctx => ctx.PageByParent(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Activities.AsNoTracking(), a => a.ConversationId, ctx.Source.Id,
                ActivityFilters.Filter, ActivityFilters.Sort, ActivityFilters.DefaultOrder, ActivityFilters.Tiebreak));
        Field<NonNullGraphType<BooleanGraphType>>("hasMedia")
            .Description("Whether the latest activity carries pictures or files.")
            .Reads(x => x.LastActivityId)
            .Resolve(ctx => ctx.Source.LastActivityId is { } id
                ? ctx.LoadProjected(ctx.RequestServices!.GetRequiredService<CrmDbContext>().Activities.AsNoTracking(), a => a.Id, id, a => a.Media).Then(a => a?.Media.Count > 0)
                : false);
        Field<NonNullGraphType<BooleanGraphType>>("lastOutgoingFromCampaign")
            .Description("Whether the latest outgoing message was sent by a campaign (always false until campaigns exist).")
            .Reads()
            .Resolve(_ => false);
    }
}

internal sealed class ConversationStatusType : EnumerationGraphType<ConversationStatus>
{
    public ConversationStatusType()
    {
        Name = "ConversationStatus";
        Description = "OPEN: needs attention. DONE: handled.";
    }
}

/// <summary>Shared by the root list and <c>Contact.conversations</c>: Hot Chocolate names both from the field.</summary>
internal sealed class ConversationsConnectionType() : ConnectionGraphType<ConversationType, Conversation>("Conversations", "A page of conversations, newest activity first.");
