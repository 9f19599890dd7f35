using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Bench.Generation;

/// <summary>
/// Writes one conversation's texts and calls to an open COPY and sets the conversation's
/// denormalized Last… columns and unread count from exactly what it wrote.
/// </summary>
internal sealed class TimelineWriter(NpgsqlBinaryImporter importer, Random random, DateTime now)
{
    private const string EmptyJson = "[]";
    private static readonly string[] NoNumbers = [];

    private DateTime[] _times = new DateTime[64];
    private double[] _offsets = new double[64];
    private bool[] _incoming = new bool[64];

    public void Write(ConversationRow conversation)
    {
        var length = conversation.Length;
        if (length == 0)
        {
            return;
        }

        if (_times.Length < length)
        {
            _times = new DateTime[length * 2];
            _offsets = new double[length * 2];
            _incoming = new bool[length * 2];
        }

        PlanTimes(conversation, length);
        for (var i = 0; i < length; i++)
        {
            _incoming[i] = random.NextDouble() < 0.55;
        }

        // An unread conversation ends with incoming activity that nobody has answered yet.
        var unread = 0;
        if (conversation.Unread)
        {
            _incoming[length - 1] = true;
            for (var i = length - 1; i >= 0 && _incoming[i]; i--)
            {
                unread++;
            }
        }

        for (var i = 0; i < length; i++)
        {
            var at = _times[i];
            var incoming = _incoming[i];
            var id = Guid.CreateVersion7(new DateTimeOffset(at));
            var call = random.NextDouble() < 0.15;
            var preview = call ? WriteCall(conversation, id, at, incoming) : WriteMessage(conversation, id, at, incoming);
            if (incoming)
            {
                conversation.LastInboundAt = at;
            }

            if (i == length - 1)
            {
                conversation.LastActivityAt = at;
                conversation.LastActivityId = id;
                conversation.LastActivityKind = call ? "Call" : "Message";
                conversation.LastActivityPreview = preview;
            }
        }

        conversation.UnreadCount = unread;
    }

    /// <summary>
    /// Bursty threads: activities hours to days apart, never after now. Whole, strictly increasing milliseconds,
    /// so (OccurredAt, Id) orders a timeline the way it was written and version-7 ids follow the same order.
    /// </summary>
    private void PlanTimes(ConversationRow conversation, int length)
    {
        var start = conversation.CreatedAt.Ticks / TimeSpan.TicksPerMillisecond;
        var available = Math.Max(0, (now - conversation.CreatedAt).TotalMilliseconds - length);
        var span = Math.Min(available, length * -Math.Log(1 - random.NextDouble()) * TimeSpan.FromDays(2).TotalMilliseconds);
        var sum = 0.0;
        for (var i = 0; i < length; i++)
        {
            // Exponential gaps, normalized to the span afterwards: sorted without sorting.
            sum += -Math.Log(1 - random.NextDouble());
            _offsets[i] = sum;
        }

        for (var i = 0; i < length; i++)
        {
            var milliseconds = start + (long)(_offsets[i] / sum * span) + i;
            _times[i] = new DateTime(milliseconds * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        }
    }

    private string WriteMessage(ConversationRow conversation, Guid id, DateTime at, bool incoming)
    {
        var contact = conversation.Contact;
        var foundation = random.NextDouble() < 0.01;
        string body;
        if (incoming)
        {
            var corpus = foundation ? Corpus.FoundationInbound : Corpus.Inbound;
            body = corpus[random.Next(corpus.Length)];
        }
        else
        {
            var corpus = foundation ? Corpus.FoundationOutbound : Corpus.Outbound;
            body = string.Format(CultureInfo.InvariantCulture, corpus[random.Next(corpus.Length)], contact.FirstName ?? "there");
        }

        var failed = !incoming && random.NextDouble() < 0.03;
        var media = incoming && body.Contains("photo", StringComparison.Ordinal)
            ? $$"""[{"Url":"https://media.example.com/{{id:N}}.jpg","Type":"image/jpeg"}]"""
            : EmptyJson;

        StartActivity(conversation, id, incoming, "Message");
        importer.Write(body, NpgsqlDbType.Text);
        importer.Write(incoming ? "received" : failed ? "failed" : "delivered", NpgsqlDbType.Varchar);
        WriteNumbers(conversation, id, incoming);
        importer.Write(at, NpgsqlDbType.TimestampTz);
        importer.Write(at, NpgsqlDbType.TimestampTz);
        DatasetGenerator.WriteText(importer, failed ? "Carrier rejected the message (30007)." : null, NpgsqlDbType.Text);
        importer.WriteNull(); // DurationSeconds
        importer.WriteNull(); // AnsweredAt
        importer.WriteNull(); // CompletedAt
        importer.WriteNull(); // AiSummary
        importer.Write(NoNumbers, NpgsqlDbType.Array | NpgsqlDbType.Text);
        importer.Write(media, NpgsqlDbType.Jsonb);
        importer.Write(EmptyJson, NpgsqlDbType.Jsonb);
        importer.Write(EmptyJson, NpgsqlDbType.Jsonb);
        importer.WriteNull(); // Voicemail
        return body.Length <= 140 ? body : body[..139] + "…";
    }

    private string WriteCall(ConversationRow conversation, Guid id, DateTime at, bool incoming)
    {
        var p = random.NextDouble();
        var answered = p < 0.6;
        var voicemail = !answered && incoming && p < 0.8;
        StartActivity(conversation, id, incoming, "Call");
        importer.WriteNull(); // Body
        importer.Write(answered ? "completed" : incoming ? "missed" : "no-answer", NpgsqlDbType.Varchar);
        WriteNumbers(conversation, id, incoming);
        importer.Write(at, NpgsqlDbType.TimestampTz);
        importer.Write(at, NpgsqlDbType.TimestampTz);
        importer.WriteNull(); // ErrorText
        if (answered)
        {
            var duration = random.Next(45, 900);
            var answeredAt = at.AddSeconds(random.Next(2, 15));
            importer.Write(duration, NpgsqlDbType.Integer);
            importer.Write(answeredAt, NpgsqlDbType.TimestampTz);
            importer.Write(answeredAt.AddSeconds(duration), NpgsqlDbType.TimestampTz);
            importer.Write(Corpus.CallSummaries[random.Next(Corpus.CallSummaries.Length)], NpgsqlDbType.Text);
            importer.Write(Corpus.NextSteps, NpgsqlDbType.Array | NpgsqlDbType.Text);
            importer.Write(EmptyJson, NpgsqlDbType.Jsonb);
            importer.Write(
                $$"""[{"Url":"https://media.example.com/rec-{{id:N}}.mp3","Type":"audio/mpeg","DurationSeconds":{{duration}}}]""",
                NpgsqlDbType.Jsonb);
            importer.Write(
                """[{"Speaker":"Customer","Text":"Hi, I'm calling about a crack in my basement wall.","StartSeconds":0,"EndSeconds":4.2},{"Speaker":"Attack-a-Crack","Text":"Sure, how long is it and is it letting water in?","StartSeconds":4.5,"EndSeconds":8.1}]""",
                NpgsqlDbType.Jsonb);
            importer.WriteNull(); // Voicemail
            return incoming ? "Incoming call" : "Outgoing call";
        }

        importer.WriteNull(); // DurationSeconds
        importer.WriteNull(); // AnsweredAt
        importer.Write(at.AddSeconds(random.Next(20, 60)), NpgsqlDbType.TimestampTz);
        DatasetGenerator.WriteText(importer, voicemail ? "Voicemail: caller asked for a call back about a leaking basement crack." : null, NpgsqlDbType.Text);
        importer.Write(NoNumbers, NpgsqlDbType.Array | NpgsqlDbType.Text);
        importer.Write(EmptyJson, NpgsqlDbType.Jsonb);
        importer.Write(EmptyJson, NpgsqlDbType.Jsonb);
        importer.Write(EmptyJson, NpgsqlDbType.Jsonb);
        if (voicemail)
        {
            importer.Write($$"""{"Url":"https://media.example.com/vm-{{id:N}}.mp3","Type":"audio/mpeg","DurationSeconds":{{random.Next(5, 60)}}}""", NpgsqlDbType.Jsonb);
            return "Voicemail";
        }

        importer.WriteNull();
        return incoming ? "Missed call" : "Unanswered call";
    }

    private void StartActivity(ConversationRow conversation, Guid id, bool incoming, string kind)
    {
        importer.StartRow();
        importer.Write(id, NpgsqlDbType.Uuid);
        importer.Write(conversation.Id, NpgsqlDbType.Uuid);
        importer.Write(conversation.Contact.Id, NpgsqlDbType.Uuid);
        importer.Write(kind, NpgsqlDbType.Varchar);
        importer.Write(incoming ? "Incoming" : "Outgoing", NpgsqlDbType.Varchar);
    }

    /// <summary>OpenPhoneId, FromNumber, ToNumbers.</summary>
    private void WriteNumbers(ConversationRow conversation, Guid id, bool incoming)
    {
        importer.Write("AC" + id.ToString("N"), NpgsqlDbType.Varchar);
        importer.Write(incoming ? conversation.Contact.Phone : conversation.Line.Number, NpgsqlDbType.Varchar);
        importer.Write(new[] { incoming ? conversation.Line.Number : conversation.Contact.Phone }, NpgsqlDbType.Array | NpgsqlDbType.Text);
    }
}
