using Crm.Data.Webhooks;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;

namespace Crm.GraphQL.Webhooks;

internal sealed class WebhookEventType : ObjectGraphType<WebhookEvent>
{
    public WebhookEventType()
    {
        Name = "WebhookEvent";
        Description = "One verified webhook delivery from OpenPhone, stored raw before processing.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.EventId).Description("OpenPhone's event id (EV…); a redelivery with the same id is not stored again.");
        Field(x => x.Type).Description("The event type, such as message.received; callSummary and callTranscript are stored under their call.*.completed names.");
        Field(x => x.ApiVersion, nullable: true).Description("The payload generation: v2, v3, v4 or a date such as 2026-03-30.");
        Field(x => x.Status, type: typeof(NonNullGraphType<WebhookEventStatusType>)).Description("Where processing stands.");
        Field(x => x.Attempts).Description("Processing attempts so far.");
        Field(x => x.LastError, nullable: true).Description("Why the last attempt failed; null after a success.");
        Field(x => x.NextAttemptAt, nullable: true).Description("When the retry job will next process it; null when nothing is pending.");
        Field(x => x.ReceivedAt).Description("When it was received.");
        Field(x => x.ProcessedAt, nullable: true).Description("When processing last succeeded or decided to ignore it.");
        Field(x => x.Body, nullable: true).Description("The body exactly as received; null once a processed event is past its retention (Retention:WebhookBodies, 90 days by default).");
    }
}

internal sealed class WebhookEventStatusType : EnumerationGraphType<WebhookEventStatus>
{
    public WebhookEventStatusType()
    {
        Name = "WebhookEventStatus";
        Description = "Processing state of a webhook event.";
        Values["RECEIVED"]!.Description = "Stored, not processed yet.";
        Values["PROCESSED"]!.Description = "Applied to the CRM.";
        Values["FAILED"]!.Description = "The last attempt failed; the retry job will try again (1 min × 2^n backoff).";
        Values["IGNORED"]!.Description = "A type the CRM does not act on.";
        Values["DEAD"]!.Description = "Failed 8 times; only replayWebhookEvent processes it again.";
    }
}

internal sealed class WebhookEventsConnectionType() : ConnectionGraphType<WebhookEventType, WebhookEvent>("WebhookEvents", "A page of webhook events, newest first.");
