using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Crm.GraphQL.Auth;
using GraphQL;
using GraphQL.Execution;
using GraphQL.MicrosoftDI;
using ExecutionContext = GraphQL.Execution.ExecutionContext;

namespace Crm.GraphQL.Subscriptions;

/// <summary>
/// Runs a subscription's selection once per event for every subscriber that sent the same document, operation and
/// variables with the same role, and hands each of them that one result. An inbox open in a thousand tabs then costs
/// one read of the changed conversation per event instead of a thousand (each in a DI scope of its own, as before).
/// </summary>
/// <remarks>
/// Sound because nothing below a root field depends on who asks: access is decided per root field, by role, before
/// execution (<see cref="AccessValidationRule"/>). The buses hand the same event instance to every local subscriber,
/// so the event is the natural place to hang the shared results; they go when the event is collected.
/// </remarks>
internal sealed class SharedSubscriptionExecutionStrategy(IServiceScopeFactory scopes) : ScopedSubscriptionExecutionStrategy(scopes)
{
    private static readonly ConditionalWeakTable<object, ConcurrentDictionary<string, Lazy<Task<ExecutionResult>>>> Executions = [];

    protected override ValueTask<ExecutionResult> ProcessDataAsync(ExecutionContext context, ExecutionNode node, object? value)
    {
        if (value is null)
        {
            return base.ProcessDataAsync(context, node, value);
        }

        var results = Executions.GetValue(value, _ => new(StringComparer.Ordinal));
        return new(results.GetOrAdd(Key(context), _ => new(() => ExecuteOnceAsync(context, node, value))).Value);
    }

    /// <summary>Tagged with the key, so that <see cref="SubscriptionGroups"/> can give equal subscriptions one stream.</summary>
    protected override async Task<IObservable<ExecutionResult>?> ResolveResponseStreamAsync(ExecutionContext context, ExecutionNode node) =>
        await base.ResolveResponseStreamAsync(context, node) is { } stream ? new KeyedStream(Key(context), stream) : null;

    private async Task<ExecutionResult> ExecuteOnceAsync(ExecutionContext context, ExecutionNode node, object value)
    {
        // Shared: one subscriber leaving must not cancel the result the others are waiting for.
        context.CancellationToken = CancellationToken.None;
        await Task.Yield(); // off the publisher's thread before any resolver runs
        return await base.ProcessDataAsync(context, node, value);
    }

    private static string Key(ExecutionContext context)
    {
        var key = new StringBuilder();
        key.Append(context.User?.Role()).Append('\n').Append(context.Operation.Name?.StringValue).Append('\n');
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
