using System.Text.Json;
using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Conversations;
using Crm.Data.Importing;
using Crm.Jobs.OpenPhone;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Jobs.Importing;

/// <summary>What a history import was asked for: everything, or what changed since a time (the last run's start).</summary>
public sealed record HistoryImportOptions(DateTimeOffset? UpdatedAfter);

/// <summary>
/// OpenPhone's history into the timeline (openphone-api.md §5): lines, then each line's conversations page by page, then
/// each conversation's messages and calls with their recordings, summaries, transcripts and voicemails. Every item goes
/// through the same <see cref="TimelineOperations"/> facts as webhooks, which upsert by OpenPhone's ids: the import and
/// the webhooks converge, and a second run changes nothing. Inbound texts are classified for consent on the way.
/// </summary>
/// <remarks>
/// The checkpoint is the line, the page token of its conversation list and the conversations of that page already
/// done, committed after each conversation: a run that dies redoes at most the conversations it had in flight, whose
/// upserts find what the first attempt wrote. Requests take their turns of the pace every instance shares; texts go
/// ahead of them (<c>OpenPhone:ReadsAhead</c>).
/// </remarks>
public sealed class OpenPhoneHistoryImporter(
    IServiceScopeFactory scopes,
    OpenPhoneClient client,
    ImportJobOperations jobs,
    IOptions<HistoryImportSettings> settings,
    TimeProvider clock) : IImporter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HistoryImportSettings _settings = settings.Value;
    private readonly Lock _checkpointLock = new();

    public ImportKind Kind => ImportKind.OpenPhoneHistory;

    public static string Serialize(HistoryImportOptions options) => JsonSerializer.Serialize(options, Json);

    public async Task RunAsync(ImportClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var options = JsonSerializer.Deserialize<HistoryImportOptions>(claim.Options, Json) ?? new(null);
        var checkpoint = claim.Checkpoint is null ? null : JsonSerializer.Deserialize<HistoryCheckpoint>(claim.Checkpoint, Json);
        checkpoint ??= await StartAsync(claim, options, cancellationToken);

        while (checkpoint.Line < checkpoint.Lines.Count)
        {
            var query = new OpenPhoneConversationQuery { PhoneNumbers = [checkpoint.Lines[checkpoint.Line]], UpdatedAfter = options.UpdatedAfter, PageToken = checkpoint.Page };
            var page = Required(await client.ListConversationsAsync(query, cancellationToken), "the conversation list");
            var done = checkpoint.Done.ToHashSet(StringComparer.Ordinal);
            var current = checkpoint;
            await Parallel.ForEachAsync(
                page.Data.Where(c => !done.Contains(c.Id)),
                new ParallelOptions { MaxDegreeOfParallelism = _settings.Concurrency, CancellationToken = cancellationToken },
                async (conversation, ct) =>
                {
                    var failure = await ImportConversationAsync(conversation, options, ct);
                    await RecordAsync(claim, conversation.Id, failure, () => current, next => current = next, ct);
                });

            checkpoint = page.NextPageToken is { Length: > 0 } token
                ? current with { Page = token, Done = [] }
                : current with { Line = current.Line + 1, Page = null, Done = [] };
            await jobs.ProgressAsync(claim, new ImportProgress(Checkpoint: Serialize(checkpoint)), cancellationToken);
        }
    }

    /// <summary>Lines first, then a count of the conversations to come so the job can show its share done and an ETA.</summary>
    private async Task<HistoryCheckpoint> StartAsync(ImportClaim claim, HistoryImportOptions options, CancellationToken cancellationToken)
    {
        await jobs.ProgressAsync(claim, new ImportProgress(Phase: "lines"), cancellationToken);
        var lines = Required(await client.ListPhoneNumbersAsync(cancellationToken), "the phone numbers");
        await using (var scope = scopes.CreateAsyncScope())
        {
            var timeline = scope.ServiceProvider.GetRequiredService<TimelineOperations>();
            foreach (var line in lines.Data)
            {
                await timeline.RecordLineAsync(line.Id, line.Number, line.Name, cancellationToken);
            }
        }

        await jobs.ProgressAsync(claim, new ImportProgress(Phase: "counting"), cancellationToken);
        var total = 0;
        foreach (var line in lines.Data)
        {
            var query = new OpenPhoneConversationQuery { PhoneNumbers = [line.Id], UpdatedAfter = options.UpdatedAfter };
            await foreach (var page in OpenPhoneClient.PagesAsync(query, client.ListConversationsAsync, cancellationToken))
            {
                total += Required(page, "the conversation list").Data.Count;
            }
        }

        var checkpoint = new HistoryCheckpoint([.. lines.Data.Select(l => l.Id)], 0, null, []);
        await jobs.ProgressAsync(claim, new ImportProgress(Phase: "conversations", Total: total, Checkpoint: Serialize(checkpoint)), cancellationToken);
        return checkpoint;
    }

    /// <summary>One conversation done (or given up on): counted and checkpointed in one step, one at a time.</summary>
    private async Task RecordAsync(
        ImportClaim claim, string conversationId, string? failure, Func<HistoryCheckpoint> read, Action<HistoryCheckpoint> write, CancellationToken cancellationToken)
    {
        string serialized;
        lock (_checkpointLock)
        {
            var next = read() with { Done = [.. read().Done, conversationId] };
            write(next);
            serialized = Serialize(next);
        }

        var progress = failure is null
            ? new ImportProgress(Done: 1, Checkpoint: serialized)
            : new ImportProgress(Failed: 1, Checkpoint: serialized) { Errors = [($"conversation {conversationId}", failure)] };
        // One scope per step: the operations' units of work are not shared between the conversations in flight.
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ImportJobOperations>().ProgressAsync(claim, progress, cancellationToken);
    }

    /// <summary>
    /// Null when every message and call is in; else why not, after a few tries with a pause between. While the client's
    /// circuit is open no request goes out, so waiting it out is no try: an OpenPhone that is down pauses the import
    /// (staff can cancel it) instead of failing every conversation in flight.
    /// </summary>
    private async Task<string?> ImportConversationAsync(OpenPhoneConversation conversation, HistoryImportOptions options, CancellationToken cancellationToken)
    {
        string? failure = null;
        var attempts = 0;
        while (attempts < _settings.ConversationAttempts)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await new ConversationImport(client, scope.ServiceProvider.GetRequiredService<TimelineOperations>(), scope.ServiceProvider.GetRequiredService<CrmDbContext>(), conversation, options)
                    .RunAsync(cancellationToken);
                return null;
            }
            catch (HistoryRequestFailedException ex) when (ex.CircuitOpen)
            {
                failure = ex.Message;
                await Task.Delay(_settings.CircuitWait, clock, cancellationToken);
            }
            catch (HistoryRequestFailedException ex) when (ex.Transient)
            {
                failure = ex.Message;
                if (++attempts < _settings.ConversationAttempts)
                {
                    await Task.Delay(_settings.RetryDelay * attempts, clock, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is HistoryRequestFailedException or DomainException)
            {
                // Refused as bad input, or OpenPhone's data that the timeline cannot take (a participant that is no
                // phone number): trying again changes nothing.
                return ex.Message;
            }
        }

        return failure;
    }

    private static string Serialize(HistoryCheckpoint checkpoint) => JsonSerializer.Serialize(checkpoint, Json);

    internal static T Required<T>(OpenPhoneResult<T> result, string what) => result.Succeeded
        ? result.Value
        : throw new HistoryRequestFailedException($"OpenPhone refused {what}: {result.Error.Status} {result.Error.Message}", result.Error.Transient)
        {
            CircuitOpen = result.Error.Code == OpenPhoneError.CircuitOpenCode,
        };

    /// <summary>Where a run goes on: the line (by index into <c>Lines</c>), its conversation page, and that page's conversations already in.</summary>
    private sealed record HistoryCheckpoint(IReadOnlyList<string> Lines, int Line, string? Page, IReadOnlyList<string> Done);

    /// <summary>One conversation's messages and calls, with the calls' details.</summary>
    private sealed class ConversationImport(OpenPhoneClient client, TimelineOperations timeline, CrmDbContext db, OpenPhoneConversation conversation, HistoryImportOptions options)
    {
        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var participants = conversation.Participants ?? [];
            if (conversation.PhoneNumberId is not { } line || participants.Count == 0)
            {
                throw new HistoryRequestFailedException("The conversation names no line or no participant.", transient: false);
            }

            var messages = new OpenPhoneMessageQuery(line, participants) { CreatedAfter = options.UpdatedAfter };
            await foreach (var page in OpenPhoneClient.PagesAsync(messages, client.ListMessagesAsync, cancellationToken))
            {
                foreach (var message in Required(page, "the messages").Data)
                {
                    await timeline.RecordMessageAsync(ToFact(message), cancellationToken);
                }
            }

            // Calls are one to one: a group conversation has none.
            if (participants.Count != 1)
            {
                return;
            }

            var calls = new OpenPhoneCallQuery(line, participants[0]) { CreatedAfter = options.UpdatedAfter };
            await foreach (var page in OpenPhoneClient.PagesAsync(calls, client.ListCallsAsync, cancellationToken))
            {
                foreach (var call in Required(page, "the calls").Data)
                {
                    await timeline.RecordCallAsync(ToFact(call, participants[0]), cancellationToken);
                    await DetailsAsync(call, cancellationToken);
                }
            }
        }

        private MessageFact ToFact(OpenPhoneMessage message) => new(
            message.Id,
            message.Direction == "outgoing" ? ActivityDirection.Outgoing : ActivityDirection.Incoming,
            message.From,
            message.To ?? [],
            message.Text,
            [],
            message.Status,
            message.CreatedAt ?? conversation.CreatedAt ?? DateTimeOffset.UnixEpoch,
            message.PhoneNumberId ?? conversation.PhoneNumberId,
            conversation.Id);

        private CallFact ToFact(OpenPhoneCall call, string participant)
        {
            var incoming = call.Direction != "outgoing";
            return new CallFact(
                call.Id,
                incoming ? ActivityDirection.Incoming : ActivityDirection.Outgoing,
                incoming ? participant : null,
                incoming ? [] : [participant],
                call.Status,
                call.CreatedAt ?? conversation.CreatedAt ?? DateTimeOffset.UnixEpoch,
                call.AnsweredAt,
                call.CompletedAt,
                call.Duration is { } seconds ? (int)seconds : null,
                null,
                [],
                call.PhoneNumberId ?? conversation.PhoneNumberId,
                conversation.Id);
        }

        /// <summary>
        /// Recording, summary and transcript of an answered call, the voicemail of a missed one; only what the timeline
        /// lacks, so a second run asks for nothing it has. 404 means the call has none.
        /// </summary>
        private async Task DetailsAsync(OpenPhoneCall call, CancellationToken cancellationToken)
        {
            var known = await db.Activities.AsNoTracking().FirstAsync(a => a.OpenPhoneId == call.Id, cancellationToken);
            var answered = call.AnsweredAt is not null || call.Duration > 0;
            if (!answered)
            {
                if (known.Voicemail is null && Optional(await client.GetCallVoicemailAsync(call.Id, cancellationToken), "the voicemail") is { RecordingUrl: { } url } voicemail)
                {
                    var media = new MediaItem { Url = url, DurationSeconds = voicemail.Duration is { } d ? (int)d : null };
                    await timeline.RecordCallAsync(ToFact(call, conversation.Participants![0]) with { Voicemail = media }, cancellationToken);
                }

                return;
            }

            var recordings = known.Recordings.Count > 0 ? null : Optional(await client.GetCallRecordingsAsync(call.Id, cancellationToken), "the recordings");
            var summary = known.AiSummary is not null ? null : Optional(await client.GetCallSummaryAsync(call.Id, cancellationToken), "the summary");
            var transcript = known.Transcript.Count > 0 ? null : Optional(await client.GetCallTranscriptAsync(call.Id, cancellationToken), "the transcript");
            if (recordings is not { Count: > 0 } && summary is null && transcript is null)
            {
                return;
            }

            await timeline.AttachCallDetailsAsync(
                new CallDetails(
                    call.Id,
                    Recordings: recordings?.Where(r => r.Url is not null).Select(r => new MediaItem { Url = r.Url!, Type = r.Type, DurationSeconds = r.Duration is { } d ? (int)d : null }).ToList(),
                    Summary: summary?.Summary is { Count: > 0 } lines ? string.Join('\n', lines) : null,
                    NextSteps: summary?.NextSteps,
                    Transcript: transcript?.Dialogue?.Where(l => l.Content is not null)
                        .Select(l => new TranscriptLine { Speaker = l.Identifier, Text = l.Content!, StartSeconds = l.Start, EndSeconds = l.End }).ToList()),
                cancellationToken);
        }

        private static T? Optional<T>(OpenPhoneResult<T> result, string what)
            where T : class => result is { Succeeded: false, Error.Status: 404 } ? null : Required(result, what);
    }
}

/// <summary>OpenPhone would not give a part of the history; transient ones are worth another try.</summary>
public sealed class HistoryRequestFailedException(string message, bool transient) : Exception(message)
{
    public bool Transient { get; } = transient;

    public bool CircuitOpen { get; init; }
}

/// <summary>Settings under <c>Imports:OpenPhone</c>.</summary>
public sealed class HistoryImportSettings
{
    public const string Section = "Imports:OpenPhone";

    /// <summary>
    /// Conversations imported at once: enough to keep OpenPhone's pace busy despite each request's latency and the
    /// client's backoff between retries (2 s and more), during which a conversation takes no turn.
    /// </summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Tries of one conversation before it is listed as failed; each request in it is already retried by the client.</summary>
    public int ConversationAttempts { get; set; } = 5;

    /// <summary>The pause before the next try grows by this much each time.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The pause when the client's circuit is open: its break (<c>OpenPhone:Resilience:CircuitBreaker:BreakDuration</c>, 5 s by default).</summary>
    public TimeSpan CircuitWait { get; set; } = TimeSpan.FromSeconds(5);
}
