using Crm.Data.Events;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Subscriptions;
using GraphQL;

namespace Crm.GraphQL.Schema;

/// <summary>
/// What the features' subscription fields share. Each event names ids only; the entity is read fresh from the
/// database in a DI scope of its own (the kit's subscription strategy), so every subscriber sees committed state.
/// </summary>
internal static class SubscriptionFields
{
    /// <summary>The bus's events of one topic that pass <paramref name="keep"/>.</summary>
    public static IObservable<object> Events<TEvent>(IResolveFieldContext ctx, string topic, Func<TEvent, bool> keep)
        where TEvent : CrmEvent
    {
        var bus = ctx.RequestServices!.GetRequiredService<IEventBus>();
        return new EventStream<CrmEvent>(ct => bus.SubscribeAsync(topic, ct), e => e is TEvent typed && keep(typed), Describe);
    }

    /// <summary>The bus gave up on a subscriber that fell a whole buffer behind: its clients must refetch.</summary>
    private static ExecutionError? Describe(Exception error) => error is EventsDroppedException
        ? new ExecutionError("Events were dropped because this subscription fell behind; refetch what you show, then subscribe again.") { Code = "EVENTS_DROPPED" }
        : null;

    public static Guid? OptionalId(IResolveFieldContext ctx, string argument, string typeName) =>
        ctx.GetArgument<string?>(argument) is { } id ? NodeId.Decode(id, typeName) : null;

    /// <summary>Deleted between the event and the read: the subscriber gets an error for this event and keeps its stream.</summary>
    public static ExecutionError Gone(string typeName) => new($"The {typeName} of this event no longer exists.") { Code = "NOT_FOUND" };
}
