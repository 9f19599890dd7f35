using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Crm.GraphQL.Observability;

/// <summary>
/// Phone numbers and message bodies never reach a log line or an error report: the code logs neither, and this is the
/// net for the day something does (a framework's request line with a query string, an exception quoting a number).
/// </summary>
/// <remarks>
/// Over-masking is the accepted cost: any 10-digit run (or 11 with a leading 1) in the US formats, and any E.164
/// number (also URL-encoded, <c>%2B…</c>), becomes <see cref="PhoneMask"/>. Bodies cannot be recognised by their
/// shape, so values under a body's name (<see cref="IsBodyName"/>) are withheld whatever they hold.
/// </remarks>
public static partial class LogMasking
{
    public const string PhoneMask = "[phone]";

    public const string BodyMask = "[withheld]";

    private static readonly HashSet<string> BodyNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "body", "messagebody", "text", "messagetext", "content", "transcript", "summary", "preview",
    };

    /// <summary>A structured value's name that stands for a message's text.</summary>
    public static bool IsBodyName(string name) => BodyNames.Contains(name);

    /// <summary><paramref name="text"/> with every phone number replaced; the same instance when there was none.</summary>
    public static string MaskPhones(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ContainsDigitRun(text) ? Phone().Replace(text, PhoneMask) : text;
    }

    /// <summary>The value as a log or a report should carry it: the same object when it needs no masking.</summary>
    public static object? MaskValue(string name, object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (IsBodyName(name))
        {
            return BodyMask;
        }

        if (value is string s)
        {
            return MaskPhones(s);
        }

        // Numbers, dates, ids and enums hold no phone number in a readable form… except a number itself.
        if (value is long or ulong)
        {
            var digits = Convert.ToString(value, CultureInfo.InvariantCulture)!;
            return MaskPhones(digits) == digits ? value : PhoneMask;
        }

        if (value is IEnumerable list and not IDictionary)
        {
            var joined = string.Join(", ", list.Cast<object?>().Select(v => v?.ToString() ?? "(null)"));
            var masked = MaskPhones(joined);
            return masked == joined ? value : masked;
        }

        if (value.GetType().IsPrimitive || value is Guid or DateTime or DateTimeOffset or TimeSpan or Enum or decimal)
        {
            return value;
        }

        var text = Convert.ToString(value, CultureInfo.InvariantCulture);
        return text is null || MaskPhones(text) == text ? value : MaskPhones(text);
    }

    /// <summary>
    /// A template (<c>{OriginalFormat}</c>) rendered with the values given, as the logging source generator would; the
    /// caller masks the template and the values, each on its own.
    /// </summary>
    public static string Render(string template, IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var byName = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in values)
        {
            byName.TryAdd(key, value);
        }

        var rendered = Placeholder().Replace(template, m =>
        {
            if (m.Value is "{{" or "}}")
            {
                return m.Value[..1];
            }

            var name = m.Groups["name"].Value;
            if (!byName.TryGetValue(name, out var value))
            {
                return m.Value;
            }

            return value switch
            {
                null => "(null)",
                string s => s,
                IEnumerable list and not IDictionary => string.Join(", ", list.Cast<object?>().Select(v => v?.ToString() ?? "(null)")),
                IFormattable f when m.Groups["format"].Success => f.ToString(m.Groups["format"].Value, CultureInfo.InvariantCulture),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
            };
        });
        return rendered;
    }

    private static bool ContainsDigitRun(string text)
    {
        var run = 0;
        foreach (var c in text)
        {
            run = char.IsAsciiDigit(c) ? run + 1 : 0;
            if (run >= 3)
            {
                return true;
            }
        }

        return false;
    }

    // E.164 (+ or %2B, 8 to 15 digits), then the US shapes: 6175551000, 16175551000, 617-555-1000, 617.555.1000,
    // (617) 555-1000, 1 617 555 1000, +1 (617) 555-1000.
    [GeneratedRegex(@"(?:\+|%2[Bb])[1-9]\d{7,14}(?!\d)|(?<![\w%])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?!\w)", RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    [GeneratedRegex(@"\{\{|\}\}|\{(?<name>[^{}:,]+)(?:,[^{}:]*)?(?::(?<format>[^{}]*))?\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}

/// <summary>
/// Every logger the host hands out, wrapped: state, message, scopes and exceptions pass through <see cref="LogMasking"/>
/// before any provider (console, OTLP, Sentry, a test's capture) sees them. Filters stay the providers' own.
/// </summary>
internal sealed class MaskingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new MaskingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The container owns and disposes the real factory.
    public void Dispose()
    {
    }

    private sealed class MaskingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => state switch
            {
                string text => inner.BeginScope(LogMasking.MaskPhones(text)),
                IReadOnlyList<KeyValuePair<string, object?>> values when MaskedValues.Of(values) is { } masked => inner.BeginScope(masked),
                _ => inner.BeginScope(state),
            };

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var safeException = MaskedException.Of(exception);
            MaskedValues? masked;
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values && values.Any(v => v.Key == MaskedValues.Template))
            {
                // Structured: each value on its own, so that neighbours ("{Status} {Code}") never read as a number.
                masked = MaskedValues.Of(values);
            }
            else
            {
                var message = formatter(state, exception);
                var safe = LogMasking.MaskPhones(message);
                masked = ReferenceEquals(safe, message) ? null : new MaskedValues(state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], safe);
            }

            if (masked is null)
            {
                if (ReferenceEquals(safeException, exception))
                {
                    inner.Log(logLevel, eventId, state, exception, formatter);
                    return;
                }

                masked = new MaskedValues(state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], formatter(state, exception));
            }

            inner.Log(logLevel, eventId, masked, safeException, static (s, _) => s.ToString());
        }
    }

    /// <summary>A state or scope's values with the masked ones replaced, and its message rendered from them.</summary>
    private sealed class MaskedValues(IReadOnlyList<KeyValuePair<string, object?>> values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public const string Template = "{OriginalFormat}";

        /// <summary>Null when nothing needs masking.</summary>
        public static MaskedValues? Of(IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            KeyValuePair<string, object?>[]? copy = null;
            string? template = null;
            for (var i = 0; i < values.Count; i++)
            {
                var (key, value) = values[i];
                if (key == Template)
                {
                    // A message built by concatenation carries its values in the template itself.
                    template = value as string;
                    var safeTemplate = template is null ? null : LogMasking.MaskPhones(template);
                    if (!ReferenceEquals(safeTemplate, template))
                    {
                        copy ??= [.. values];
                        copy[i] = new(key, safeTemplate);
                        template = safeTemplate;
                    }

                    continue;
                }

                var safe = LogMasking.MaskValue(key, value);
                if (!ReferenceEquals(safe, value))
                {
                    copy ??= [.. values];
                    copy[i] = new(key, safe);
                }
            }

            if (copy is null)
            {
                return null;
            }

            var message = template is null ? string.Join(" ", copy.Select(v => $"{v.Key}:{v.Value}")) : LogMasking.Render(template, copy);
            return new MaskedValues(copy, message);
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }
}

/// <summary>An exception whose text quoted a phone number: its type, masked message and masked trace, as text.</summary>
public sealed class MaskedException : Exception
{
    private readonly string _text;

    private MaskedException(Exception original, string message, string text)
        : base(message)
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        _text = text;
        HResult = original.HResult;
    }

    public MaskedException()
        : this(new InvalidOperationException(), string.Empty, string.Empty)
    {
    }

    public MaskedException(string message)
        : base(message)
    {
        OriginalType = nameof(Exception);
        _text = message;
    }

    public MaskedException(string message, Exception innerException)
        : base(message, innerException)
    {
        OriginalType = nameof(Exception);
        _text = message;
    }

    public string OriginalType { get; } = string.Empty;

    /// <summary>The exception itself when nothing in its text is a phone number.</summary>
    public static Exception? Of(Exception? exception)
    {
        if (exception is null)
        {
            return null;
        }

        var text = exception.ToString();
        var masked = LogMasking.MaskPhones(text);
        return ReferenceEquals(masked, text) || masked == text
            ? exception
            : new MaskedException(exception, $"{exception.GetType().Name}: {LogMasking.MaskPhones(exception.Message)}", masked);
    }

    public override string ToString() => _text;
}
