using System.Globalization;
using System.Text.Json;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Conversations;

namespace Crm.Jobs.OpenPhone;

/// <summary>
/// OpenPhone's webhook envelope in any of its shapes: legacy <c>data.object</c> (apiVersion v2, v3, v4) and the
/// 2026-03-30 <c>data.resource</c> + <c>data.context</c>. Read tolerantly: every field is optional and may come
/// in the spelling of another generation (openphone-api.md §3.3).
/// </summary>
public sealed class OpenPhonePayload
{
    private readonly JsonElement _resource;
    private readonly JsonElement _context;

    private OpenPhonePayload(string id, string type, string? apiVersion, DateTimeOffset? createdAt, JsonElement resource, JsonElement context)
    {
        Id = id;
        Type = CanonicalType(type);
        ApiVersion = apiVersion;
        CreatedAt = createdAt;
        _resource = resource;
        _context = context;
    }

    public string Id { get; }

    /// <summary>The event type, aliases resolved (<c>callSummary</c> is <c>call.summary.completed</c>).</summary>
    public string Type { get; }

    public string? ApiVersion { get; }

    public DateTimeOffset? CreatedAt { get; }

    /// <summary>The call a call event is about (<c>AC…</c>), in whichever shape the delivery names it; null for other events.</summary>
    public string? CallId => Type.StartsWith("call.", StringComparison.Ordinal) ? DetailsCallId ?? Str(_resource, "id") : null;

    /// <summary>
    /// What the event is about, for applying events about one thing in the order they came: the conversation, else
    /// the call, else the other party of a message, else the resource (a contact).
    /// </summary>
    public string OrderKey =>
        Either("conversationId") ?? CallId
        ?? (Direction(ActivityDirection.Incoming) == ActivityDirection.Outgoing ? To().FirstOrDefault() : From())
        ?? Str(_resource, "id") ?? Id;

    /// <summary>A recording, summary or transcript names its call; a whole call object does not.</summary>
    private string? DetailsCallId => Str(_resource, "callId") ?? Str(_context, "callId");

    /// <summary>Reads the envelope; false when the body is not a JSON object with a type.</summary>
    public static bool TryParse(string body, string? fallbackId, out OpenPhonePayload payload)
    {
        payload = null!;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var id = Str(root, "id") ?? fallbackId;
            var type = Str(root, "type");
            if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(type))
            {
                return false;
            }

            var data = Obj(root, "data");
            var resource = Obj(data, "object");
            if (resource.ValueKind != JsonValueKind.Object)
            {
                resource = Obj(data, "resource");
            }

            payload = new OpenPhonePayload(id, type, Str(root, "apiVersion"), Time(root, "createdAt"), Detach(resource), Detach(Obj(data, "context")));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static string CanonicalType(string type) => type switch
    {
        "callSummary" => "call.summary.completed",
        "callTranscript" => "call.transcript.completed",
        _ => type,
    };

    public MessageFact ToMessage(ActivityDirection defaultDirection) => new(
        OpenPhoneId: RequiredId("id"),
        Direction: Direction(defaultDirection),
        From: From(),
        To: To(),
        Body: Str(_resource, "text") ?? Str(_resource, "body"),
        Media: Media(_resource, "media"),
        Status: Str(_resource, "status"),
        OccurredAt: OccurredAt(),
        LineOpenPhoneId: Either("phoneNumberId"),
        ConversationOpenPhoneId: Either("conversationId"));

    public CallFact ToCall(ActivityDirection defaultDirection)
    {
        var direction = Direction(defaultDirection);
        var from = From();
        var to = To();
        // v4 calls list only the other party, in participants.
        var participants = Strings(_resource, "participants");
        if (participants.Count > 0 && from is null && to.Count == 0)
        {
            if (direction == ActivityDirection.Incoming)
            {
                from = participants[0];
            }
            else
            {
                to = participants;
            }
        }

        var voicemail = Media(_resource, "voicemail");
        return new CallFact(
            OpenPhoneId: RequiredId("id"),
            Direction: direction,
            From: from,
            To: to,
            Status: Str(_resource, "status"),
            OccurredAt: OccurredAt(),
            AnsweredAt: Time(_resource, "answeredAt"),
            CompletedAt: Time(_resource, "completedAt"),
            DurationSeconds: Int(_resource, "duration"),
            Voicemail: voicemail.Count > 0 ? voicemail[0] : null,
            Recordings: Media(_resource, "media"),
            LineOpenPhoneId: Either("phoneNumberId"),
            ConversationOpenPhoneId: Either("conversationId"));
    }

    /// <summary>A recording, summary or transcript; with the call's own fields when the delivery is a whole call object.</summary>
    public CallDetails ToCallDetails()
    {
        var callId = DetailsCallId;
        var isCall = callId is null && Str(_resource, "id") is not null && (From() is not null || To().Count > 0);
        callId ??= RequiredId("id");

        var summary = Strings(_resource, "summary");
        var recordings = Media(_resource, "media");
        if (recordings.Count == 0)
        {
            recordings = Media(_resource, "recordings");
        }

        return new CallDetails(
            CallOpenPhoneId: callId,
            Recordings: recordings,
            Summary: summary.Count > 0 ? string.Join('\n', summary) : null,
            NextSteps: Strings(_resource, "nextSteps"),
            Transcript: Transcript(),
            Call: isCall ? ToCall(ActivityDirection.Incoming) : null);
    }

    /// <summary>The ringing call's other party and our line.</summary>
    public (string CallId, ActivityDirection Direction, string? From, string? LineOpenPhoneId) ToRinging()
    {
        var call = ToCall(ActivityDirection.Incoming);
        return (call.OpenPhoneId, call.Direction, call.From, call.LineOpenPhoneId);
    }

    public OpenPhoneContactFact ToContact()
    {
        var phones = new List<string>();
        var emails = new List<string>();
        var defaults = Obj(_resource, "defaultFields");
        var fields = Prop(_resource, "fields");
        if (fields.ValueKind == JsonValueKind.Object)
        {
            // App format: { "<label>": value | [values] }.
            foreach (var field in fields.EnumerateObject())
            {
                Collect(field.Name, field.Value, phones, emails);
            }
        }
        else if (fields.ValueKind == JsonValueKind.Array)
        {
            // Older app format: [{ name, type, value }].
            foreach (var field in fields.EnumerateArray().Where(f => f.ValueKind == JsonValueKind.Object))
            {
                Collect(Str(field, "type") ?? Str(field, "name") ?? string.Empty, Prop(field, "value"), phones, emails);
            }
        }

        // REST format: defaultFields.phoneNumbers / emails as [{ name, value }].
        foreach (var (name, target) in new[] { ("phoneNumbers", phones), ("emails", emails) })
        {
            foreach (var item in Array(defaults, name).Concat(Array(_resource, name)))
            {
                var value = item.ValueKind == JsonValueKind.String ? item.GetString() : Str(item, "value");
                if (!string.IsNullOrWhiteSpace(value))
                {
                    target.Add(value);
                }
            }
        }

        return new OpenPhoneContactFact(
            OpenPhoneContactId: RequiredId("id"),
            FirstName: Str(_resource, "firstName") ?? Str(defaults, "firstName"),
            LastName: Str(_resource, "lastName") ?? Str(defaults, "lastName"),
            Company: Str(_resource, "company") ?? Str(defaults, "company"),
            Phones: phones,
            Emails: emails);
    }

    public string ContactId => RequiredId("id");

    private static void Collect(string label, JsonElement value, List<string> phones, List<string> emails)
    {
        var target = label.Contains("phone", StringComparison.OrdinalIgnoreCase) ? phones
            : label.Contains("mail", StringComparison.OrdinalIgnoreCase) ? emails
            : null;
        if (target is not null)
        {
            target.AddRange(Strings(value));
        }
    }

    private List<TranscriptLine> Transcript() =>
    [
        .. Array(_resource, "dialogue")
            .Where(d => d.ValueKind == JsonValueKind.Object && Str(d, "content") is not null)
            .Select(d => new TranscriptLine
            {
                Speaker = Str(d, "identifier") ?? Str(d, "userId"),
                Text = Str(d, "content")!,
                StartSeconds = Double(d, "start"),
                EndSeconds = Double(d, "end"),
            }),
    ];

    private ActivityDirection Direction(ActivityDirection fallback) => Str(_resource, "direction") switch
    {
        "incoming" or "inbound" => ActivityDirection.Incoming,
        "outgoing" or "outbound" => ActivityDirection.Outgoing,
        _ => fallback,
    };

    private string? From() => Str(_resource, "from") ?? Str(_context, "senderIdentifier");

    private List<string> To()
    {
        var to = Strings(_resource, "to");
        return to.Count > 0 ? to : Strings(_context, "recipientIdentifiers");
    }

    private DateTimeOffset OccurredAt() => Time(_resource, "createdAt") ?? CreatedAt ?? DateTimeOffset.UnixEpoch;

    private string? Either(string name) => Str(_resource, name) ?? Str(_context, name);

    private string RequiredId(string name) =>
        Str(_resource, name) ?? throw new InvalidDataException($"The {Type} delivery has no data.object.{name}.");

    /// <summary>A copy that outlives the document; an absent element stays absent.</summary>
    private static JsonElement Detach(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? default : element.Clone();

    private static JsonElement Prop(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static JsonElement Obj(JsonElement element, string name)
    {
        var value = Prop(element, name);
        return value.ValueKind == JsonValueKind.Object ? value : default;
    }

    private static List<JsonElement> Array(JsonElement element, string name)
    {
        var value = Prop(element, name);
        return value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : [];
    }

    private static string? Str(JsonElement element, string name)
    {
        var value = Prop(element, name);
        return value.ValueKind switch
        {
            JsonValueKind.String when !string.IsNullOrWhiteSpace(value.GetString()) => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    /// <summary>An array of strings, one string, or a comma-joined string (group texts in v3).</summary>
    private static List<string> Strings(JsonElement element, string name) => Strings(Prop(element, name));

    private static List<string> Strings(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).SelectMany(v => Split(v.GetString()))],
        JsonValueKind.String => Split(value.GetString()),
        _ => [],
    };

    private static List<string> Split(string? text) =>
        [.. (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        Str(element, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;

    private static int? Int(JsonElement element, string name)
    {
        var value = Prop(element, name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? (int)Math.Round(number) : null;
    }

    private static double? Double(JsonElement element, string name)
    {
        var value = Prop(element, name);
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
    }

    /// <summary>Media as objects (<c>{url, type, duration}</c>), plain URL strings, or one object (a voicemail).</summary>
    private static List<MediaItem> Media(JsonElement element, string name)
    {
        var value = Prop(element, name);
        IEnumerable<JsonElement> items = value.ValueKind switch
        {
            JsonValueKind.Array => value.EnumerateArray(),
            JsonValueKind.Object or JsonValueKind.String => [value],
            _ => [],
        };
        var media = new List<MediaItem>();
        foreach (var item in items)
        {
            var url = item.ValueKind == JsonValueKind.String ? item.GetString() : Str(item, "url");
            if (!string.IsNullOrWhiteSpace(url))
            {
                media.Add(new MediaItem { Url = url, Type = Str(item, "type"), DurationSeconds = Int(item, "duration") });
            }
        }

        return media;
    }
}
