using Crm.GraphQL.Activities;
using Crm.GraphQL.Campaigns;
using Crm.GraphQL.Consent;
using Crm.GraphQL.ContactLists;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Conversations;
using Crm.GraphQL.Importing;
using Crm.GraphQL.Messages;
using Crm.GraphQL.PhoneNumbers;
using Crm.GraphQL.Search;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Users;
using Crm.GraphQL.Webhooks;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Schema;

/// <summary>The public API; <c>schema.graphql</c> is printed from this registration.</summary>
internal sealed class CrmSchema : global::GraphQL.Types.Schema
{
    public CrmSchema(IServiceProvider services, CrmQuery query, CrmMutation mutation, CrmSubscription subscription)
        : base(services)
    {
        Description = "Attack-a-Crack CRM: contacts, conversations and their timelines of texts and calls.";
        Query = query;
        Mutation = mutation;
        Subscription = subscription;
        this.RegisterTypeMapping<DateTimeOffset, DateTimeType>();
    }
}

internal sealed class CrmQuery : ObjectGraphType
{
    public CrmQuery()
    {
        Name = "Query";
        Description = "Reads. Every list is a cursor connection: first/after or last/before.";
        ContactQueries.Register(this);
        ContactListQueries.Register(this);
        ConversationQueries.Register(this);
        MessageQueries.Register(this);
        PhoneNumberQueries.Register(this);
        UserQueries.Register(this);
        NodeQueries.Register(this);
        SearchQueries.Register(this);
        ComplianceQueries.Register(this);
        WebhookEventQueries.Register(this);
        Backups.BackupQueries.Register(this);
        ImportQueries.Register(this);
        CampaignQueries.Register(this);
        CampaignTemplateQueries.Register(this);
        Dashboard.DashboardQueries.Register(this);
    }
}

/// <summary>Live updates, registered by feature as queries and mutations are (<see cref="SubscriptionFields"/>).</summary>
internal sealed class CrmSubscription : ObjectGraphType
{
    public CrmSubscription()
    {
        Name = "Subscription";
        Description = "Events as they happen: over WebSocket (graphql-transport-ws, or legacy graphql-ws) or POST with Accept: text/event-stream (graphql-sse).";
        ConversationSubscriptions.Register(this);
        ActivitySubscriptions.Register(this);
        ImportSubscriptions.Register(this);
        CampaignSubscriptions.Register(this);
    }
}

internal sealed class CrmMutation : ObjectGraphType
{
    public CrmMutation()
    {
        Name = "Mutation";
        Description = "Writes. Each takes one input and returns a payload whose errors say why nothing was written.";
        ContactMutations.Register(this);
        ContactListMutations.Register(this);
        ConversationMutations.Register(this);
        MessageMutations.Register(this);
        ConsentMutations.Register(this);
        ComplianceMutations.Register(this);
        UserMutations.Register(this);
        WebhookEventMutations.Register(this);
        Backups.BackupMutations.Register(this);
        ImportMutations.Register(this);
        CampaignMutations.Register(this);
        CampaignTemplateMutations.Register(this);
    }
}
