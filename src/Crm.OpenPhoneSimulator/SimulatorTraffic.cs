using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Crm.OpenPhoneSimulator;

[JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
public enum FaultKind
{
    /// <summary>429 with <c>Retry-After</c>.</summary>
    RateLimit,

    /// <summary>500 with OpenPhone's error body.</summary>
    ServerError,

    /// <summary>The answer comes after <see cref="SimulatorFaultOptions.SlowDelay"/>.</summary>
    Slow,

    /// <summary>The connection is dropped before anything is done.</summary>
    Drop,

    /// <summary>The request is carried out, then the connection is dropped without an answer.</summary>
    AcceptThenCrash,

    /// <summary>A scripted error answer: <see cref="ScriptedFault.Status"/>, <see cref="ScriptedFault.Code"/>, <see cref="ScriptedFault.Message"/>.</summary>
    Status,
}

/// <summary>One fault of a script, for the next request to <see cref="Endpoint"/> (e.g. <c>POST /v1/messages</c>; unset: any).</summary>
public sealed record ScriptedFault(FaultKind Kind, string? Endpoint = null, int Count = 1, int Status = 500, string? Code = null, string? Message = null);

/// <summary>What the simulator received, for tests and benchmarks (<c>GET /_simulator/stats</c>).</summary>
public sealed record SimulatorStats(
    IReadOnlyDictionary<string, long> Requests,
    long RateLimited,
    long FaultsInjected,
    long MessagesAccepted,
    int MaxRequestsInOneSecond,
    long WebhooksPosted,
    long WebhooksFailed);

/// <summary>Counting, authentication, the per-key rate limit and fault injection: what every API request passes first.</summary>
public sealed class SimulatorTraffic(IOptions<SimulatorOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly LinkedList<ScriptedFault> _script = [];
    private readonly Random _random = new(options.Value.Seed.Seed);
    private long _rateLimited;
    private long _faults;
    private long _messagesAccepted;
    private int _maxInOneSecond;
    private long _webhooksPosted;
    private long _webhooksFailed;

    public SimulatorOptions Options { get; } = options.Value;

    public void Count(string endpoint) => _requests.AddOrUpdate(endpoint, 1, (_, n) => n + 1);

    public bool Authorized(string? key) =>
        !string.IsNullOrWhiteSpace(key) && (Options.ApiKey is null || string.Equals(key, Options.ApiKey, StringComparison.Ordinal));

    /// <summary>
    /// A sliding one-second window per key: null when the request may go ahead, else how long until it could.
    /// Refused requests do not use up the window.
    /// </summary>
    public TimeSpan? RateLimit(string key)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (!_windows.TryGetValue(key, out var window))
            {
                _windows[key] = window = new Queue<DateTimeOffset>();
            }

            while (window.Count > 0 && window.Peek() <= now - TimeSpan.FromSeconds(1))
            {
                window.Dequeue();
            }

            if (window.Count >= Options.RequestsPerSecond)
            {
                _rateLimited++;
                return window.Peek() + TimeSpan.FromSeconds(1) - now;
            }

            window.Enqueue(now);
            _maxInOneSecond = Math.Max(_maxInOneSecond, window.Count);
            return null;
        }
    }

    public void Script(IEnumerable<ScriptedFault> faults)
    {
        lock (_lock)
        {
            foreach (var fault in faults)
            {
                _script.AddLast(fault);
            }
        }
    }

    /// <summary>The fault for this request: the first scripted one that matches it, else one drawn by the configured rates.</summary>
    public ScriptedFault? NextFault(string endpoint)
    {
        lock (_lock)
        {
            var fault = TakeScripted(endpoint) ?? Draw(endpoint);
            if (fault is not null)
            {
                _faults++;
            }

            return fault;
        }
    }

    public void MessageAccepted() => Interlocked.Increment(ref _messagesAccepted);

    public void WebhookPosted(bool succeeded)
    {
        if (succeeded)
        {
            Interlocked.Increment(ref _webhooksPosted);
        }
        else
        {
            Interlocked.Increment(ref _webhooksFailed);
        }
    }

    public SimulatorStats Stats()
    {
        lock (_lock)
        {
            return new(
                new SortedDictionary<string, long>(_requests, StringComparer.Ordinal),
                _rateLimited,
                _faults,
                Interlocked.Read(ref _messagesAccepted),
                _maxInOneSecond,
                Interlocked.Read(ref _webhooksPosted),
                Interlocked.Read(ref _webhooksFailed));
        }
    }

    private ScriptedFault? TakeScripted(string endpoint)
    {
        for (var node = _script.First; node is not null; node = node.Next)
        {
            var fault = node.Value;
            if (fault.Endpoint is not null && !string.Equals(fault.Endpoint, endpoint, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (fault.Count <= 1)
            {
                _script.Remove(node);
            }
            else
            {
                node.Value = fault with { Count = fault.Count - 1 };
            }

            return fault;
        }

        return null;
    }

    private ScriptedFault? Draw(string endpoint)
    {
        var rates = Options.Faults;
        var roll = _random.NextDouble();
        foreach (var (kind, rate) in new[]
        {
            (FaultKind.RateLimit, rates.RateLimitRate),
            (FaultKind.ServerError, rates.ServerErrorRate),
            (FaultKind.Slow, rates.SlowRate),
            (FaultKind.Drop, rates.DropRate),
            (FaultKind.AcceptThenCrash, rates.AcceptThenCrashRate),
        })
        {
            if (roll < rate)
            {
                return new ScriptedFault(kind, endpoint);
            }

            roll -= rate;
        }

        return null;
    }
}
