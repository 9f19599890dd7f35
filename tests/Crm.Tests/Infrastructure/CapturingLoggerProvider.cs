using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Crm.Tests.Infrastructure;

public sealed record LogEntry(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception);

/// <summary>
/// Keeps every log line of a test host, at every level: <see cref="Entries"/> for one host, <see cref="Messages"/>
/// for all of them (the secrets test).
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public static ConcurrentQueue<string> Messages { get; } = new();

    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            provider.Entries.Enqueue(new LogEntry(logLevel, category, eventId, message, exception));
            Messages.Enqueue($"{logLevel} {category}: {message} {exception}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                Messages.Enqueue(string.Join(" ", values.Select(v => $"{v.Key}={v.Value}")));
            }
        }
    }
}
