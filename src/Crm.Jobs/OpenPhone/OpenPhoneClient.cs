using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Crm.Jobs.OpenPhone;

/// <summary>
/// OpenPhone's REST API v1 (openphone-api.md §4). Retries, timeouts and the circuit breaker are the HttpClient's resilience
/// pipeline (see <see cref="HostingExtensions"/>); every failure comes back as an <see cref="OpenPhoneError"/>, none as an exception.
/// </summary>
public sealed partial class OpenPhoneClient(HttpClient http, ILogger<OpenPhoneClient> logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary><c>POST /v1/messages</c> → 202 with the accepted message; its id is what <c>message.delivered</c> later names.</summary>
    public async Task<OpenPhoneResult<OpenPhoneMessage>> SendMessageAsync(OpenPhoneSendMessage message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = JsonContent.Create(message, options: Json) };
        return Unwrap(await SendAsync<DataEnvelope<OpenPhoneMessage>>(request, cancellationToken));
    }

    public Task<OpenPhoneResult<OpenPhonePage<OpenPhoneLine>>> ListPhoneNumbersAsync(CancellationToken cancellationToken) =>
        GetAsync<OpenPhonePage<OpenPhoneLine>>("v1/phone-numbers", cancellationToken);

    public Task<OpenPhoneResult<OpenPhonePage<OpenPhoneConversation>>> ListConversationsAsync(OpenPhoneConversationQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = new QueryString("v1/conversations", query).AddAll("phoneNumbers", query.PhoneNumbers).Add("updatedAfter", query.UpdatedAfter);
        return GetAsync<OpenPhonePage<OpenPhoneConversation>>(url.ToString(), cancellationToken);
    }

    public Task<OpenPhoneResult<OpenPhonePage<OpenPhoneMessage>>> ListMessagesAsync(OpenPhoneMessageQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = new QueryString("v1/messages", query).Add("phoneNumberId", query.PhoneNumberId).AddAll("participants", query.Participants)
            .Add("createdAfter", query.CreatedAfter).Add("createdBefore", query.CreatedBefore);
        return GetAsync<OpenPhonePage<OpenPhoneMessage>>(url.ToString(), cancellationToken);
    }

    public Task<OpenPhoneResult<OpenPhonePage<OpenPhoneCall>>> ListCallsAsync(OpenPhoneCallQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = new QueryString("v1/calls", query).Add("phoneNumberId", query.PhoneNumberId).Add("participants", query.Participant)
            .Add("createdAfter", query.CreatedAfter).Add("createdBefore", query.CreatedBefore);
        return GetAsync<OpenPhonePage<OpenPhoneCall>>(url.ToString(), cancellationToken);
    }

    public Task<OpenPhoneResult<OpenPhonePage<OpenPhoneContact>>> ListContactsAsync(OpenPhoneContactQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return GetAsync<OpenPhonePage<OpenPhoneContact>>(new QueryString("v1/contacts", query).ToString(), cancellationToken);
    }

    /// <summary>Oldest first; an empty list when the call has none.</summary>
    public async Task<OpenPhoneResult<IReadOnlyList<OpenPhoneRecording>>> GetCallRecordingsAsync(string callId, CancellationToken cancellationToken) =>
        Unwrap(await GetAsync<DataEnvelope<IReadOnlyList<OpenPhoneRecording>>>(CallPath("call-recordings", callId), cancellationToken));

    public async Task<OpenPhoneResult<OpenPhoneCallSummary>> GetCallSummaryAsync(string callId, CancellationToken cancellationToken) =>
        Unwrap(await GetAsync<DataEnvelope<OpenPhoneCallSummary>>(CallPath("call-summaries", callId), cancellationToken));

    public async Task<OpenPhoneResult<OpenPhoneTranscript>> GetCallTranscriptAsync(string callId, CancellationToken cancellationToken) =>
        Unwrap(await GetAsync<DataEnvelope<OpenPhoneTranscript>>(CallPath("call-transcripts", callId), cancellationToken));

    public async Task<OpenPhoneResult<OpenPhoneVoicemail>> GetCallVoicemailAsync(string callId, CancellationToken cancellationToken) =>
        Unwrap(await GetAsync<DataEnvelope<OpenPhoneVoicemail>>(CallPath("call-voicemails", callId), cancellationToken));

    /// <summary>
    /// Every page of a list from <paramref name="query"/>'s page on, until <c>nextPageToken</c> is null; an error is yielded
    /// last, so a resumable caller keeps the token of the page it failed on.
    /// </summary>
    public static async IAsyncEnumerable<OpenPhoneResult<OpenPhonePage<T>>> PagesAsync<TQuery, T>(
        TQuery query,
        Func<TQuery, CancellationToken, Task<OpenPhoneResult<OpenPhonePage<T>>>> list,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TQuery : OpenPhonePageQuery
    {
        ArgumentNullException.ThrowIfNull(list);
        var next = query;
        while (next is not null)
        {
            var page = await list(next, cancellationToken);
            yield return page;
            next = page.Succeeded && page.Value.NextPageToken is { Length: > 0 } token ? next with { PageToken = token } : null;
        }
    }

    private static string CallPath(string resource, string callId) => $"v1/{resource}/{Uri.EscapeDataString(callId)}";

    private async Task<OpenPhoneResult<T>> GetAsync<T>(string url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        return await SendAsync<T>(request, cancellationToken);
    }

    private async Task<OpenPhoneResult<T>> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = await ReadErrorAsync(response, cancellationToken);
                LogFailed(logger, request.Method.Method, request.RequestUri?.AbsolutePath, error.Status, error.Code, error.Message);
                return OpenPhoneResult<T>.Fail(error);
            }

            var value = await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
            return value is null
                ? OpenPhoneResult<T>.Fail(new((int)response.StatusCode, null, "OpenPhone answered with an empty body.", false, null, []))
                : OpenPhoneResult<T>.Ok(value);
        }
        catch (Exception ex) when (NoAnswer(ex, cancellationToken) is { } error)
        {
            LogNoAnswer(logger, request.Method.Method, request.RequestUri?.AbsolutePath, error.Message);
            return OpenPhoneResult<T>.Fail(error);
        }
    }

    /// <summary>Failures without an answer to read. The caller's own cancellation is not one of them: it propagates.</summary>
    private static OpenPhoneError? NoAnswer(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        BrokenCircuitException => new(0, OpenPhoneError.CircuitOpenCode, "The circuit to OpenPhone is open after repeated failures.", true, null, []),
        TimeoutRejectedException => new(0, null, "OpenPhone did not answer in time.", true, null, []),
        TaskCanceledException when !cancellationToken.IsCancellationRequested => new(0, null, "OpenPhone did not answer in time.", true, null, []),
        HttpRequestException => new(0, null, "The connection to OpenPhone failed before an answer.", true, null, []),
        JsonException => new(0, null, "OpenPhone's answer could not be read.", false, null, []),
        _ => null,
    };

    private static async Task<OpenPhoneError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };
        ErrorBody? body = null;
        try
        {
            body = await response.Content.ReadFromJsonAsync<ErrorBody>(Json, cancellationToken);
        }
        catch (JsonException)
        {
            // A gateway's HTML page or an empty body: the status alone says what happened.
        }

        var message = body?.Message ?? body?.Title ?? response.ReasonPhrase ?? ((HttpStatusCode)status).ToString();
        var errors = body?.Errors?.Select(e => new OpenPhoneFieldError(e.Path ?? e.Key, e.Message ?? e.Reason)).ToList() ?? [];
        return new OpenPhoneError(status, body?.Code, message, OpenPhoneError.IsTransientStatus(status), retryAfter, errors);
    }

    private static OpenPhoneResult<T> Unwrap<T>(OpenPhoneResult<DataEnvelope<T>> result) =>
        result.Succeeded ? OpenPhoneResult<T>.Ok(result.Value.Data) : OpenPhoneResult<T>.Fail(result.Error);

    // Paths only: query strings carry phone numbers, and the error message is OpenPhone's, never a message body.
    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenPhone {Method} {Path} failed with {Status} {Code}: {ErrorMessage}")]
    private static partial void LogFailed(ILogger logger, string method, string? path, int status, string? code, string errorMessage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenPhone {Method} {Path} got no answer: {Reason}")]
    private static partial void LogNoAnswer(ILogger logger, string method, string? path, string reason);

    private sealed record DataEnvelope<T>(T Data);

    private sealed record ErrorBody(string? Message, string? Code, int? Status, string? Title, IReadOnlyList<ErrorItem>? Errors);

    private sealed record ErrorItem(string? Path, string? Message, string? Key, string? Reason);

    /// <summary>A relative URL with <c>maxResults</c>, <c>pageToken</c> and the list's own parameters, arrays repeated (form, explode).</summary>
    private sealed class QueryString
    {
        private readonly StringBuilder _url;
        private char _separator = '?';

        public QueryString(string path, OpenPhonePageQuery page)
        {
            _url = new StringBuilder(path);
            Add("maxResults", page.MaxResults.ToString(CultureInfo.InvariantCulture)).Add("pageToken", page.PageToken);
        }

        public QueryString Add(string name, string? value)
        {
            if (value is not null)
            {
                _url.Append(_separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                _separator = '&';
            }

            return this;
        }

        public QueryString Add(string name, DateTimeOffset? value) => Add(name, value?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));

        public QueryString AddAll(string name, IEnumerable<string> values)
        {
            foreach (var value in values)
            {
                Add(name, value);
            }

            return this;
        }

        public override string ToString() => _url.ToString();
    }
}
