using Crm.Data.Conversations;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Conversations;

internal static class ConversationMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        Add<ConversationIdInputType>(mutation, "markConversationRead", "Marks a conversation read: its unread count becomes 0.", "MarkConversationRead",
            (ops, ctx, id, ct) => ops.MarkReadAsync(id, ct));
        Add<ConversationIdInputType>(mutation, "markConversationUnread", "Marks a conversation unread so it asks for attention again.", "MarkConversationUnread",
            (ops, ctx, id, ct) => ops.MarkUnreadAsync(id, ct));
        Add<SetConversationStatusInputType>(mutation, "setConversationStatus", "Marks a conversation OPEN or DONE.", "SetConversationStatus",
            (ops, ctx, id, ct) => ops.SetStatusAsync(id, ctx.GetArgument<SetConversationStatusInput>("input").Status, ct));
        Add<SnoozeConversationInputType>(mutation, "snoozeConversation", "Hides a conversation from the inbox until the given time.", "SnoozeConversation",
            (ops, ctx, id, ct) => ops.SnoozeAsync(id, ctx.GetArgument<SnoozeConversationInput>("input").Until, ct));
        Add<ConversationIdInputType>(mutation, "unsnoozeConversation", "Brings a snoozed conversation back to the inbox now.", "UnsnoozeConversation",
            (ops, ctx, id, ct) => ops.UnsnoozeAsync(id, ct));
    }

    private static void Add<TInput>(ObjectGraphType mutation, string name, string description, string typePrefix, Func<InboxOperations, IResolveFieldContext, Guid, CancellationToken, Task<Conversation>> operation)
        where TInput : IInputObjectGraphType
    {
        mutation.Field(name, new ConversationPayloadType($"{typePrefix}Payload", new ConversationErrorType($"{typePrefix}Error")))
            .Description(description)
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<TInput>>("input")
            .ResolveAsync(ctx =>
            {
                var id = NodeId.Decode(((IConversationInput)ctx.Arguments!["input"].Value!).Id, "Conversation");
                var ops = ctx.RequestServices!.GetRequiredService<InboxOperations>();
                return MutationConventions.RunAsync(async () => new Payload(await operation(ops, ctx, id, ctx.CancellationToken), null));
            });
    }

    /// <summary>Every inbox mutation returns the conversation as changed, or why nothing changed.</summary>
    [DoNotRegister] // built per mutation with its name, not resolved from DI
    private sealed class ConversationPayloadType : ObjectGraphType<Payload>
    {
        public ConversationPayloadType(string name, ConversationErrorType errors)
        {
            Name = name;
            Description = "The conversation as changed, or errors and no change.";
            Field<ConversationType>("conversation").Description("The conversation as changed.").Resolve(ctx => ctx.Source.Value);
            Field("errors", new ListGraphType(new NonNullGraphType(errors))).Description("Why nothing changed; null on success.").Resolve(ctx => ctx.Source.Errors);
        }
    }

    [DoNotRegister]
    private sealed class ConversationErrorType : UnionGraphType
    {
        public ConversationErrorType(string name)
        {
            Name = name;
            Description = "Why the conversation did not change.";
            Type<NotFoundErrorType>();
            Type<InvalidFieldErrorType>();
        }
    }
}

internal interface IConversationInput
{
    string Id { get; }
}

internal sealed record ConversationIdInput(string Id) : IConversationInput;

internal sealed record SetConversationStatusInput(string Id, ConversationStatus Status) : IConversationInput;

internal sealed record SnoozeConversationInput(string Id, DateTimeOffset Until) : IConversationInput;

internal sealed class ConversationIdInputType : InputObjectGraphType<ConversationIdInput>
{
    public ConversationIdInputType()
    {
        Name = "ConversationIdInput";
        Description = "The conversation to change.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The conversation's global id.");
    }
}

internal sealed class SetConversationStatusInputType : InputObjectGraphType<SetConversationStatusInput>
{
    public SetConversationStatusInputType()
    {
        Name = "SetConversationStatusInput";
        Description = "The conversation and its new status.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The conversation's global id.");
        Field(x => x.Status, type: typeof(NonNullGraphType<ConversationStatusType>)).Description("OPEN or DONE.");
    }
}

internal sealed class SnoozeConversationInputType : InputObjectGraphType<SnoozeConversationInput>
{
    public SnoozeConversationInputType()
    {
        Name = "SnoozeConversationInput";
        Description = "The conversation and when it returns to the inbox.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The conversation's global id.");
        Field(x => x.Until).Description("When the conversation returns to the inbox; must be in the future.");
    }
}
