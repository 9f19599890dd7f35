using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using GraphQL;
using GraphQL.Execution;
using GraphQL.MicrosoftDI;
using ExecutionContext = GraphQL.Execution.ExecutionContext;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// Tags each subscription's event stream with what makes two subscriptions equal — the same document, operation and
/// variables, asked with the same audience (<see cref="ISubscriptionAudience"/>) — so that
/// <see cref="SubscriptionGroups"/> runs one stream for all of them: an inbox open in a thousand tabs then costs one
/// read of the changed conversation per event, not a thousand. Each event still runs in a DI scope of its own (the
/// base strategy).
/// </summary>
/// <remarks>
/// Sound because nothing below a root field depends on more of the caller than its audience, and every subscriber's
/// own request is validated, access rules included, before it joins.
/// </remarks>
internal sealed class SharedSubscriptionExecutionStrategy(IServiceScopeFactory scopes, ISubscriptionAudience audience) : ScopedSubscriptionExecutionStrategy(scopes)
{
    protected override async Task<IObservable<ExecutionResult>?> ResolveResponseStreamAsync(ExecutionContext context, ExecutionNode node) =>
        await base.ResolveResponseStreamAsync(context, node) is { } stream ? new KeyedStream(Key(context), stream) : null;

    /// <summary>
    /// A stream that ends with a coded error of its own (<c>EVENTS_DROPPED</c>) is not a failure: the error goes to the
    /// clients as it is, without passing through the unhandled-exception log.
    /// </summary>
    protected override Task<ExecutionError> ProcessErrorAsync(ExecutionContext context, ExecutionNode node, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (exception is ExecutionError { Code: not null } coded and not UnhandledError)
        {
            coded.Path = node.ResponsePath;
            return Task.FromResult(coded);
        }

        return base.ProcessErrorAsync(context, node, exception);
    }

    private string Key(ExecutionContext context)
    {
        var key = new StringBuilder();
        key.Append(audience.Of(context.User)).Append('\n').Append(context.Operation.Name?.StringValue).Append('\n');
        foreach (var variable in context.Variables.OrderBy(v => v.Name, StringComparer.Ordinal))
        {
            key.Append(variable.Name).Append('=').Append(JsonSerializer.Serialize(variable.Value)).Append('\n');
        }

        return key.Append('\n').Append(context.Document.Source.Span).ToString();
    }

    internal sealed class KeyedStream(string key, IObservable<ExecutionResult> stream) : IObservable<ExecutionResult>
    {
        public string Key => key;

        public IDisposable Subscribe(IObserver<ExecutionResult> observer) => stream.Subscribe(observer);
    }
}

/// <summary>A shared result is serialized once, however many sockets and streams send it.</summary>
internal static class SerializedResults
{
    private static readonly ConditionalWeakTable<ExecutionResult, byte[]> Cache = [];

    public static byte[] Get(ExecutionResult result, IGraphQLTextSerializer serializer) =>
        Cache.GetValue(result, r => Encoding.UTF8.GetBytes(serializer.Serialize(r)));
}
