using Crm.Data;
using Crm.Data.Users;
using Crm.Data.Webhooks;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Webhooks;

internal static class WebhookEventMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<ReplayWebhookEventPayloadType>>("replayWebhookEvent")
            .Description("Processes a stored webhook event again now, whatever its state (a dead one too). Processing is idempotent: a replay updates, never duplicates.")
            .RequireRole(CrmRole.Admin)
            .Argument<NonNullGraphType<ReplayWebhookEventInputType>>("input")
            .ResolveAsync(async ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<ReplayWebhookEventInput>("input").Id, "WebhookEvent");
                try
                {
                    var replayed = await ctx.RequestServices!.GetRequiredService<OpenPhoneWebhookProcessor>().ReplayAsync(id, ctx.Actor(), ctx.CancellationToken);
                    return replayed is null
                        ? new ReplayWebhookEventPayload(null, [new NotFoundException("WebhookEvent", id)])
                        : new ReplayWebhookEventPayload(replayed, null);
                }
                catch (WebhookBodyNotKeptException ex)
                {
                    return new ReplayWebhookEventPayload(null, [ex]);
                }
            });
    }
}

internal sealed record ReplayWebhookEventPayload(WebhookEvent? WebhookEvent, IReadOnlyList<DomainException>? Errors);

internal sealed class ReplayWebhookEventInput
{
    public string Id { get; set; } = string.Empty;
}

internal sealed class ReplayWebhookEventInputType : InputObjectGraphType<ReplayWebhookEventInput>
{
    public ReplayWebhookEventInputType()
    {
        Name = "ReplayWebhookEventInput";
        Description = "The webhook event to process again.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The webhook event's global id.");
    }
}

internal sealed class ReplayWebhookEventErrorType : UnionGraphType
{
    public ReplayWebhookEventErrorType()
    {
        Name = "ReplayWebhookEventError";
        Description = "Why replayWebhookEvent processed nothing.";
        Type<NotFoundErrorType>();
        Type<WebhookBodyNotKeptErrorType>();
    }
}

internal sealed class ReplayWebhookEventPayloadType : ObjectGraphType<ReplayWebhookEventPayload>
{
    public ReplayWebhookEventPayloadType()
    {
        Name = "ReplayWebhookEventPayload";
        Description = "The result of a replay: the event with its new state (processed, or failed with the error), or errors.";
        Field(x => x.WebhookEvent, type: typeof(WebhookEventType)).Description("The event after the replay.");
        Field(x => x.Errors, type: typeof(ListGraphType<NonNullGraphType<ReplayWebhookEventErrorType>>)).Description("Why nothing was processed; null on success.");
    }
}

internal sealed class WebhookBodyNotKeptErrorType : ErrorGraphType<WebhookBodyNotKeptException>
{
    public WebhookBodyNotKeptErrorType()
        : base("WebhookBodyNotKeptError", "The event's body is past its retention (Retention:WebhookBodies) and was removed: there is nothing to process again.")
    {
    }
}
