using Sentry.Extensibility;

namespace Crm.GraphQL.Observability;

/// <summary>
/// Sentry, only when <c>Sentry:Dsn</c> is set: unhandled exceptions and error logs as events, with no request body, no
/// user data (<c>SendDefaultPii</c> off) and every text scrubbed of phone numbers and message bodies before it leaves.
/// </summary>
internal static class ErrorTracking
{
    public const string Section = "Sentry";

    public static WebApplicationBuilder AddCrmErrorTracking(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{Section}:Dsn"]))
        {
            return builder;
        }

        // UseSentry binds the Sentry section itself (Dsn, Environment, SampleRate, TracesSampleRate …); what follows is
        // what configuration must not loosen.
        builder.WebHost.UseSentry(o =>
        {
            o.Environment ??= builder.Environment.EnvironmentName;
            o.SendDefaultPii = false;
            o.MaxRequestBodySize = RequestSize.None;
            o.SetBeforeSend(Scrub);
            o.SetBeforeBreadcrumb(Scrub);
        });
        return builder;
    }

    /// <summary>The event with every text it carries masked (<see cref="LogMasking"/>); the request reduced to method and path.</summary>
    public static SentryEvent Scrub(SentryEvent sentryEvent)
    {
        ArgumentNullException.ThrowIfNull(sentryEvent);
        if (sentryEvent.Message is { } message)
        {
            message.Message = Mask(message.Message);
            message.Formatted = Mask(message.Formatted);
            message.Params = message.Params?.Select(p => p is string s ? LogMasking.MaskPhones(s) : p).ToList();
        }

        foreach (var exception in sentryEvent.SentryExceptions ?? [])
        {
            exception.Value = Mask(exception.Value);
        }

        foreach (var (key, value) in sentryEvent.Extra.ToList())
        {
            sentryEvent.SetExtra(key, LogMasking.MaskValue(key, value is string or null ? value : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        foreach (var (key, value) in sentryEvent.Tags.ToList())
        {
            sentryEvent.SetTag(key, (string)LogMasking.MaskValue(key, value)!);
        }

        var request = sentryEvent.Request;
        request.Data = null;
        request.QueryString = null;
        request.Cookies = null;
        request.Url = request.Url is { } url ? Mask(url.Split('?')[0]) : null;
        foreach (var header in request.Headers.Keys.ToList())
        {
            if (!string.Equals(header, "User-Agent", StringComparison.OrdinalIgnoreCase) && !string.Equals(header, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Remove(header);
            }
        }

        return sentryEvent;
    }

    public static Breadcrumb Scrub(Breadcrumb breadcrumb)
    {
        ArgumentNullException.ThrowIfNull(breadcrumb);
        var data = breadcrumb.Data?.ToDictionary(d => d.Key, d => (string)LogMasking.MaskValue(d.Key, d.Value)!);
        return new Breadcrumb(Mask(breadcrumb.Message) ?? string.Empty, breadcrumb.Type ?? "default", data, breadcrumb.Category, breadcrumb.Level);
    }

    private static string? Mask(string? text) => text is null ? null : LogMasking.MaskPhones(text);
}
