using System.Diagnostics.Metrics;
using Crm.GraphQL.Server.Subscriptions;
using GraphQL;
using GraphQL.DI;
using GraphQL.Validation;
using GraphQL.Validation.Rules;
using GraphQLParser.AST;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Crm.GraphQL.Server.Execution;

/// <summary>
/// Documents that passed validation, by their text and operation name: a repeated request skips the parser and the
/// specification's rules, whose verdict depends on nothing but the document and the schema. Every other rule still
/// runs on each request, with its own variables, caller and transport: the transport's (GET: no mutations), the
/// host's access rules, the depth, complexity and alias limits, and field argument validators.
/// </summary>
/// <remarks>
/// Only documents whose operation executed are kept, so a refused document (too deep, too complex, malformed, not
/// allowed for that caller) is parsed and checked again every time. The size is the cached texts' total length.
/// </remarks>
internal sealed class DocumentCache : IConfigureExecution, IDisposable
{
    private static readonly Counter<long> Lookups = SubscriptionMetrics.Meter.CreateCounter<long>(
        "graphql.document_cache.lookups", description: "GraphQL requests by whether their document came from the document cache (hit) or was parsed and validated (miss).");

    // Every core rule but the one that runs the fields' argument validators, which read the request's variables.
    private static readonly HashSet<IValidationRule> DocumentOnlyRules = [.. DocumentValidator.CoreRules.Where(r => r is not FieldArgumentsAreValidRule)];

    private static readonly KeyValuePair<string, object?> Hit = new("result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("result", "miss");

    private readonly MemoryCache? _documents;
    private long _parsed;

    public DocumentCache(IOptions<GraphQLServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var size = options.Value.DocumentCacheSize;
        _documents = size > 0 ? new MemoryCache(new MemoryCacheOptions { SizeLimit = size }) : null;
    }

    /// <summary>Requests whose document this cache did not hold and so was parsed: for tests and diagnostics.</summary>
    public long Parsed => Interlocked.Read(ref _parsed);

    /// <summary>After the options' configurations, which add the schema's and the host's rules the cache must keep.</summary>
    public float SortOrder => 200;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(next);
        if (_documents is null || options.Document is not null || options.Query is not { } query)
        {
            return await next(options);
        }

        var key = new Key(query, options.OperationName);
        if (_documents.TryGetValue(key, out GraphQLDocument? cached) && cached is not null)
        {
            Lookups.Add(1, Hit);
            options.Document = cached;
            options.ValidationRules = [.. (options.ValidationRules ?? DocumentValidator.CoreRules).Where(r => !DocumentOnlyRules.Contains(r))];
            return await next(options);
        }

        Lookups.Add(1, Miss);
        Interlocked.Increment(ref _parsed);
        var result = await next(options);
        if (result.Executed && result.Document is { } parsed)
        {
            _documents.Set(key, parsed, new MemoryCacheEntryOptions { Size = Math.Max(1, query.Length) });
        }

        return result;
    }

    public void Dispose() => _documents?.Dispose();

    private readonly record struct Key(string Query, string? OperationName);
}
