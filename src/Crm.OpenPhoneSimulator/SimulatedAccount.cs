using System.Globalization;
using System.Text.Json.Serialization;

namespace Crm.OpenPhoneSimulator;

// The account's records serialize to OpenPhone's REST shapes (openphone-api.md §4); [JsonIgnore] marks simulator bookkeeping.

public sealed record SimLine(string Id, string Number, string? Name, DateTimeOffset CreatedAt)
{
    public string GroupId { get; } = "GR" + Id[2..];

    public IReadOnlyList<object> Users { get; } = [];
}

public sealed record SimContact(string Id, SimContactFields DefaultFields, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public string Source { get; } = "openphone";

    [JsonIgnore]
    public string Phone => DefaultFields.PhoneNumbers[0].Value;
}

public sealed record SimContactFields(string FirstName, string? LastName, string? Company, IReadOnlyList<SimLabeledValue> PhoneNumbers);

public sealed record SimLabeledValue(string Name, string Value);

public sealed class SimConversation
{
    public required string Id { get; init; }

    public required string PhoneNumberId { get; init; }

    public required IReadOnlyList<string> Participants { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? LastActivityAt { get; set; }

    public string? LastActivityId { get; set; }
}

public sealed record SimMessage(
    string Id,
    string From,
    IReadOnlyList<string> To,
    string Text,
    string PhoneNumberId,
    string Direction,
    string? UserId,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    [JsonIgnore]
    public string ConversationId { get; init; } = string.Empty;
}

public sealed record SimCall(
    string Id,
    string PhoneNumberId,
    IReadOnlyList<string> Participants,
    string Direction,
    string Status,
    int Duration,
    DateTimeOffset CreatedAt,
    DateTimeOffset? AnsweredAt,
    DateTimeOffset? CompletedAt)
{
    [JsonIgnore]
    public bool HasRecording { get; init; }

    [JsonIgnore]
    public bool HasSummary { get; init; }

    [JsonIgnore]
    public bool HasTranscript { get; init; }

    [JsonIgnore]
    public bool HasVoicemail { get; init; }
}

/// <summary>
/// One OpenPhone workspace in memory: lines, contacts, conversations, messages and calls (with their recordings,
/// summaries, transcripts and voicemails derived from the call). Thread-safe behind one lock: the simulator serves
/// at most a few hundred requests a second.
/// </summary>
public sealed class SimulatedAccount
{
    private static readonly string[] FirstNames = ["Ana", "Ben", "Carla", "Dev", "Erin", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena", "Marco", "Nia", "Owen", "Pia"];
    private static readonly string[] LastNames = ["Abbott", "Baker", "Cruz", "Diaz", "Evans", "Frost", "Gray", "Hale", "Ito", "Jensen", "Khan", "Lopez", "Moss", "Nagy", "Ortiz", "Park"];
    private static readonly string[] Texts = ["Can you come look at a crack in my foundation?", "Is Thursday morning OK?", "Thanks, see you then.", "How much would that be?", "The basement leaks when it rains."];
    private static readonly string[] AreaCodes = ["617", "508", "781", "978"];

    private readonly Lock _lock = new();
    private readonly List<SimLine> _lines = [];
    private readonly List<SimContact> _contacts = [];
    private readonly List<SimConversation> _conversations = [];
    private readonly Dictionary<(string Line, string Participant), SimConversation> _conversationByPair = [];
    private readonly Dictionary<string, List<SimMessage>> _messagesByConversation = [];
    private readonly Dictionary<string, List<SimCall>> _callsByConversation = [];
    private readonly Dictionary<string, SimCall> _calls = [];
    private readonly TimeProvider _clock;
    private long _ids;

    public SimulatedAccount(TimeProvider clock) => _clock = clock;

    public IReadOnlyList<SimLine> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IReadOnlyList<SimContact> Contacts
    {
        get
        {
            lock (_lock)
            {
                return [.. _contacts];
            }
        }
    }

    public SimLine AddLine(string id, string number, string? name)
    {
        var line = new SimLine(id, number, name, _clock.GetUtcNow());
        lock (_lock)
        {
            _lines.Add(line);
        }

        return line;
    }

    public SimContact AddContact(string firstName, string? lastName, string phone)
    {
        var now = _clock.GetUtcNow();
        var contact = new SimContact(NextId(string.Empty, 24), new(firstName, lastName, null, [new("mobile", phone)]), now, now);
        lock (_lock)
        {
            _contacts.Add(contact);
        }

        return contact;
    }

    /// <summary>A generated account: <see cref="SimulatorSeedOptions.Conversations"/> spread over the lines and contacts, each with history.</summary>
    public void Generate(SimulatorSeedOptions seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        var random = new Random(seed.Seed);
        var now = _clock.GetUtcNow();
        for (var i = 0; i < seed.Lines; i++)
        {
            AddLine($"PNsim{i:D5}", $"+1617555{i % 100:D2}{i / 100 % 100:D2}", i == 0 ? "Main line" : $"Line {i + 1}");
        }

        for (var i = 0; i < seed.Contacts; i++)
        {
            var phone = $"+1{AreaCodes[i % AreaCodes.Length]}{2_000_000 + (i / AreaCodes.Length):D7}";
            AddContact(FirstNames[random.Next(FirstNames.Length)], LastNames[random.Next(LastNames.Length)], phone);
        }

        var lines = Lines;
        var contacts = Contacts;
        if (lines.Count == 0 || contacts.Count == 0)
        {
            return;
        }

        // Every (line, contact) pair is one conversation: walk the pairs so conversations never repeat.
        var pairs = Math.Min(seed.Conversations, lines.Count * contacts.Count);
        for (var i = 0; i < pairs; i++)
        {
            var line = lines[i / contacts.Count % lines.Count];
            var contact = contacts[i % contacts.Count];
            var start = now.AddDays(-random.Next(1, 365)).AddMinutes(-random.Next(0, 1440));
            for (var m = 0; m < seed.MessagesPerConversation; m++)
            {
                var incoming = m % 2 == 0;
                AddMessage(line, contact.Phone, incoming, Texts[random.Next(Texts.Length)], incoming ? "received" : "delivered", start.AddMinutes(m * 7));
            }

            for (var c = 0; c < seed.CallsPerConversation; c++)
            {
                var answered = random.NextDouble() < 0.7;
                AddCall(line, contact.Phone, answered, random.Next(20, 900), start.AddHours(c + 1));
            }
        }
    }

    /// <summary>A message in its conversation (created when new), as sent or received on <paramref name="line"/>.</summary>
    public SimMessage AddMessage(SimLine line, string participant, bool incoming, string text, string status, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(line);
        var time = at ?? _clock.GetUtcNow();
        lock (_lock)
        {
            var conversation = ConversationFor(line, participant, time);
            var message = new SimMessage(
                NextId("AC", 32),
                incoming ? participant : line.Number,
                [incoming ? line.Number : participant],
                text,
                line.Id,
                incoming ? "incoming" : "outgoing",
                incoming ? null : "USsim00001",
                status,
                time,
                time)
            { ConversationId = conversation.Id };
            _messagesByConversation[conversation.Id].Add(message);
            Touch(conversation, message.Id, time);
            return message;
        }
    }

    public SimCall AddCall(SimLine line, string participant, bool answered, int seconds, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (_lock)
        {
            var conversation = ConversationFor(line, participant, at);
            var call = new SimCall(
                NextId("AC", 32),
                line.Id,
                [participant],
                "incoming",
                answered ? "completed" : "no-answer",
                answered ? seconds : 0,
                at,
                answered ? at.AddSeconds(5) : null,
                at.AddSeconds(answered ? seconds + 5 : 30))
            {
                HasRecording = answered,
                HasSummary = answered,
                HasTranscript = answered,
                HasVoicemail = !answered,
            };
            _callsByConversation[conversation.Id].Add(call);
            _calls[call.Id] = call;
            Touch(conversation, call.Id, at);
            return call;
        }
    }

    public SimLine? FindLine(string idOrNumber)
    {
        lock (_lock)
        {
            return _lines.Find(l => l.Id == idOrNumber || l.Number == idOrNumber);
        }
    }

    public SimCall? FindCall(string id)
    {
        lock (_lock)
        {
            return _calls.GetValueOrDefault(id);
        }
    }

    /// <summary>Most recently active first, as OpenPhone lists them.</summary>
    public IReadOnlyList<SimConversation> Conversations(IReadOnlyCollection<string> lines, DateTimeOffset? updatedAfter)
    {
        var ids = lines.Select(FindLine).Select(l => l?.Id).ToHashSet();
        lock (_lock)
        {
            return [.. _conversations
                .Where(c => lines.Count == 0 || ids.Contains(c.PhoneNumberId))
                .Where(c => updatedAfter is null || c.UpdatedAt > updatedAfter)
                .OrderByDescending(c => c.LastActivityAt)
                .ThenBy(c => c.Id, StringComparer.Ordinal)];
        }
    }

    /// <summary>Chronological, as OpenPhone lists them.</summary>
    public IReadOnlyList<SimMessage> Messages(SimLine line, string participant, DateTimeOffset? after, DateTimeOffset? before)
    {
        lock (_lock)
        {
            return _conversationByPair.TryGetValue((line.Id, participant), out var conversation)
                ? [.. _messagesByConversation[conversation.Id].Where(m => (after is null || m.CreatedAt > after) && (before is null || m.CreatedAt < before))]
                : [];
        }
    }

    /// <summary>Every message the workspace sent, on any line to anyone, for checks that each text went out once.</summary>
    public IReadOnlyList<SimMessage> Outgoing()
    {
        lock (_lock)
        {
            return [.. _messagesByConversation.Values.SelectMany(m => m).Where(m => m.Direction == "outgoing").OrderBy(m => m.CreatedAt)];
        }
    }

    public IReadOnlyList<SimCall> Calls(SimLine line, string participant, DateTimeOffset? after, DateTimeOffset? before)
    {
        lock (_lock)
        {
            return _conversationByPair.TryGetValue((line.Id, participant), out var conversation)
                ? [.. _callsByConversation[conversation.Id].Where(c => (after is null || c.CreatedAt > after) && (before is null || c.CreatedAt < before))]
                : [];
        }
    }

    private SimConversation ConversationFor(SimLine line, string participant, DateTimeOffset at)
    {
        if (_conversationByPair.TryGetValue((line.Id, participant), out var existing))
        {
            return existing;
        }

        var conversation = new SimConversation { Id = NextId("CN", 32), PhoneNumberId = line.Id, Participants = [participant], CreatedAt = at, UpdatedAt = at };
        _conversations.Add(conversation);
        _conversationByPair[(line.Id, participant)] = conversation;
        _messagesByConversation[conversation.Id] = [];
        _callsByConversation[conversation.Id] = [];
        return conversation;
    }

    private static void Touch(SimConversation conversation, string activityId, DateTimeOffset at)
    {
        if (conversation.LastActivityAt is null || at >= conversation.LastActivityAt)
        {
            conversation.LastActivityAt = at;
            conversation.LastActivityId = activityId;
        }

        conversation.UpdatedAt = at > conversation.UpdatedAt ? at : conversation.UpdatedAt;
    }

    /// <summary>Ids shaped like OpenPhone's (<c>AC</c> + 32 hex, 24-hex contacts), unique within the account.</summary>
    private string NextId(string prefix, int hexDigits) =>
        prefix + Interlocked.Increment(ref _ids).ToString("x", CultureInfo.InvariantCulture).PadLeft(hexDigits, '0');
}
