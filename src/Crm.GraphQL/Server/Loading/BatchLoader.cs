using GraphQL.DataLoader;

namespace Crm.GraphQL.Server.Loading;

/// <summary>
/// Collects the keys that sibling resolvers ask for and fetches them in one query when the engine
/// first needs a value: graphql-dotnet parks <see cref="IDataLoaderResult"/> results until a level is done.
/// </summary>
/// <remarks>
/// One instance per request; queries and mutations run serially, so no locking is needed. A key the fetch does not
/// return loads as the default: null, or 0 for a count.
/// </remarks>
public sealed class BatchLoader<TKey, TValue>(Func<IReadOnlyCollection<TKey>, CancellationToken, Task<Dictionary<TKey, TValue>>> fetch)
    where TKey : notnull
{
    private readonly HashSet<TKey> _pending = [];
    private readonly Dictionary<TKey, Task<Dictionary<TKey, TValue>>> _batches = [];

    public IDataLoaderResult<TValue?> Load(TKey key)
    {
        if (!_batches.ContainsKey(key))
        {
            _pending.Add(key);
        }

        return new Result(this, key);
    }

    private async Task<TValue?> GetAsync(TKey key, CancellationToken cancellationToken)
    {
        if (_pending.Count > 0)
        {
            var keys = _pending.ToArray();
            _pending.Clear();
            var batch = fetch(keys, cancellationToken);
            foreach (var k in keys)
            {
                _batches[k] = batch;
            }
        }

        // A failed fetch fails every key of its batch with its own error.
        return (await _batches[key]).GetValueOrDefault(key);
    }

    private sealed class Result(BatchLoader<TKey, TValue> loader, TKey key) : IDataLoaderResult<TValue?>
    {
        public Task<TValue?> GetResultAsync(CancellationToken cancellationToken = default) => loader.GetAsync(key, cancellationToken);

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}

/// <summary>A value computed only if the engine asks for it, when it resolves the batches of a level.</summary>
public sealed class DeferredResult<T>(Func<CancellationToken, Task<T>> compute) : IDataLoaderResult<T>
{
    private Task<T>? _result;

    public Task<T> GetResultAsync(CancellationToken cancellationToken = default) => _result ??= compute(cancellationToken);

    async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
}

public static class DataLoaderResultExtensions
{
    /// <summary>A value computed from a batched value, still resolved with its batch.</summary>
    public static IDataLoaderResult<TOut> Then<TIn, TOut>(this IDataLoaderResult<TIn> source, Func<TIn, TOut> map) => new Mapped<TIn, TOut>(source, map);

    private sealed class Mapped<TIn, TOut>(IDataLoaderResult<TIn> source, Func<TIn, TOut> map) : IDataLoaderResult<TOut>
    {
        public async Task<TOut> GetResultAsync(CancellationToken cancellationToken = default) => map(await source.GetResultAsync(cancellationToken));

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}
