using System.Text.Json.Nodes;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Conversations;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Paging;

/// <summary>
/// Pages read only the columns their selection needs (<c>Server/Querying/Projection.cs</c>). Whatever a page reads,
/// each field must show what the whole row shows: <c>nodes(ids:)</c> loads whole rows, so it is the oracle.
/// </summary>
public sealed class ProjectionTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    public static TheoryData<string, string> ProjectedLists() => new()
    {
        { "Contact", "contacts(first: 20) { nodes { id $field } }" },
        { "Conversation", "conversations(first: 20, includeSnoozed: true) { nodes { id $field } }" },
        // A nested page (one windowed query for every parent) and a batched to-one.
        { "Activity", "conversations(first: 20, includeSnoozed: true) { nodes { activities(first: 5) { nodes { id $field } } } }" },
        { "Activity", "conversations(first: 20, includeSnoozed: true) { nodes { lastActivity { id $field } } }" },
        { "Conversation", "contacts(first: 20) { nodes { conversations(first: 3) { nodes { id $field } } } }" },
        { "Contact", "conversations(first: 20, includeSnoozed: true) { nodes { contact { id $field } } }" },
    };

    [Theory]
    [MemberData(nameof(ProjectedLists))]
    public async Task EachFieldSelectedAloneShowsWhatTheWholeRowShows(string type, string list)
    {
        await ArrangeAsync();
        var fields = await SelectionsAsync(type);
        Assert.True(fields.Count > 15, $"{type} has only {fields.Count} fields to check.");

        foreach (var field in fields)
        {
            var projected = Objects(await Client.DataAsync($"{{ {list.Replace("$field", field, StringComparison.Ordinal)} }}")).ToList();
            Assert.True(projected.Count > 1, $"{field}: the list must hold more than one {type}.");
            var ids = projected.Select(n => n["id"]!.GetValue<string>()).ToList();
            var whole = (await Client.DataAsync($"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on {type} {{ id {field} }} }} }}", new { ids }))["nodes"]!.AsArray();
            for (var i = 0; i < ids.Count; i++)
            {
                Assert.True(GraphQLClient.Compact(whole[i]) == GraphQLClient.Compact(projected[i]), $"{type}.{field}: projected {projected[i].ToJsonString()}, whole row {whole[i]!.ToJsonString()}");
            }
        }
    }

    [Fact]
    public async Task TheInboxReadsItsSelectedColumnsWithItsContactJoinedIn()
    {
        await ArrangeAsync();

        using var sql = new SqlCommandCounter();
        var data = await Client.DataAsync("{ conversations(first: 10) { nodes { id unread contact { displayName } lastActivity { body } } } }");

        Assert.NotEmpty(data["conversations"]!["nodes"]!.AsArray());
        var statements = sql.Commands.Where(c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, statements.Count);
        var (page, activities) = (statements[0], statements[1]);
        Assert.Contains("JOIN \"Contacts\"", page, StringComparison.Ordinal);
        Assert.Contains("\"FirstName\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Tags\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("\"OpenPhoneConversationId\"", page, StringComparison.Ordinal);
        Assert.Contains("\"Body\"", activities, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Media\"", activities, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Transcript\"", activities, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AToOneWithAFieldThatDeclaresNothingIsReadWholeAndStillJoined()
    {
        await ArrangeAsync();

        // timeZone is worked out from several members, the address among them (an owned type): the whole contact is read.
        using var sql = new SqlCommandCounter();
        var data = await Client.DataAsync("{ conversations(first: 10) { nodes { id contact { timeZone address { state } } } } }");

        Assert.Contains(data["conversations"]!["nodes"]!.AsArray(), n => n!["contact"]!["address"]!["state"]?.GetValue<string>() == "CA");
        var page = Assert.Single(sql.Commands, c => !c.Contains("\"ApiKeys\"", StringComparison.Ordinal));
        Assert.Contains("JOIN \"Contacts\"", page, StringComparison.Ordinal);
        Assert.Contains("\"Tags\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("\"OpenPhoneConversationId\"", page, StringComparison.Ordinal);
    }

    private static IEnumerable<JsonObject> Objects(JsonNode data) => data.AsObject().Single().Value!["nodes"]!.AsArray().SelectMany(Leaves);

    // The innermost objects that carry an id: the nested lists' nodes, or the to-one.
    private static IEnumerable<JsonObject> Leaves(JsonNode? node) => node switch
    {
        JsonObject o when o.ContainsKey("id") => [o],
        JsonObject o => o.SelectMany(p => Leaves(p.Value)),
        JsonArray a => a.SelectMany(Leaves),
        _ => [],
    };

    /// <summary>A selection of each field of the type: leaves as they are, objects with their leaves, pages with their ids.</summary>
    private async Task<List<string>> SelectionsAsync(string type)
    {
        const string TypeRef = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
        async Task<JsonNode> TypeAsync(string name) =>
            (await Client.DataAsync($"query($name: String!) {{ __type(name: $name) {{ kind fields {{ name args {{ type {{ kind }} }} type {{ {TypeRef} }} }} }} }}", new { name }))["__type"]!;

        static JsonNode Named(JsonNode typeRef) => typeRef["ofType"] is { } inner && inner.GetValueKind() != System.Text.Json.JsonValueKind.Null ? Named(inner) : typeRef;
        static bool IsLeaf(JsonNode field) => Named(field["type"]!)["kind"]!.GetValue<string>() is "SCALAR" or "ENUM";

        var selections = new List<string>();
        foreach (var field in (await TypeAsync(type))["fields"]!.AsArray())
        {
            var name = field!["name"]!.GetValue<string>();
            if (field["args"]!.AsArray().Any(a => a!["type"]!["kind"]!.GetValue<string>() == "NON_NULL"))
            {
                continue;
            }

            if (IsLeaf(field))
            {
                selections.Add(name);
                continue;
            }

            var target = await TypeAsync(Named(field["type"]!)["name"]!.GetValue<string>());
            var fields = target["fields"]?.AsArray();
            selections.Add(target["kind"]!.GetValue<string>() switch
            {
                "OBJECT" when fields!.Any(f => f!["name"]!.GetValue<string>() == "nodes") => $"{name}(first: 2) {{ totalCount nodes {{ __typename }} }}",
                "OBJECT" => $"{name} {{ {string.Join(' ', fields!.Where(f => IsLeaf(f!) && f!["args"]!.AsArray().Count == 0).Select(f => f!["name"]))} }}",
                _ => $"{name} {{ __typename }}",
            });
        }

        return selections;
    }

    /// <summary>Contacts, conversations and activities with every kind of value set somewhere: lists, JSON documents, owned parts.</summary>
    private async Task ArrangeAsync()
    {
        var line = TestData.Line();
        var contacts = Enumerable.Range(1, 6).Select(n => TestData.Contact(n)).ToList();
        contacts[0].Email = "first@example.com";
        contacts[0].Company = "Foundations Inc";
        contacts[0].Address = new Address { Street = "1 Main St", City = "Fresno", State = "CA", PostalCode = "93650" };
        contacts[0].CustomFields = new() { ["gate code"] = "1234", ["dog"] = "yes" };
        contacts[1].FirstName = null;
        contacts[1].LastName = null;
        contacts[1].TimeZone = "America/Denver";
        contacts[1].OpenPhoneContactId = "CT123";
        contacts[2].Source = ContactSource.Csv;

        var conversations = contacts.Select((c, i) => TestData.Conversation(c, line, TestData.Epoch.AddHours(i))).ToList();
        conversations[0].UnreadCount = 2;
        conversations[0].Status = ConversationStatus.Done;
        conversations[1].SnoozedUntil = TestData.Epoch.AddYears(5);
        conversations[2].OpenPhoneConversationId = "CN42";

        var activities = new List<Activity>();
        foreach (var (conversation, i) in conversations.Select((c, i) => (c, i)))
        {
            var message = TestData.Message(conversation, $"message {i}", conversation.LastActivityAt.AddMinutes(-1));
            message.Media = i % 2 == 0 ? [new MediaItem { Url = $"https://files.example/{i}.jpg", Type = "image/jpeg" }] : [];
            message.FromNumber = contacts[i].Phone;
            message.ToNumbers = [line.Number];
            message.OpenPhoneId = $"AC{i}";
            var outgoing = TestData.Message(conversation, $"reply {i}", conversation.LastActivityAt.AddMinutes(-2), ActivityDirection.Outgoing);
            outgoing.OutboundStatus = i % 2 == 0 ? MessageStatus.Failed : MessageStatus.Delivered;
            outgoing.FailureReason = i % 2 == 0 ? "The carrier refused it." : null;
            outgoing.Segments = 1;
            outgoing.QueuedAt = outgoing.OccurredAt;
            outgoing.SentAt = outgoing.OccurredAt.AddSeconds(1);
            var call = new Activity
            {
                ConversationId = conversation.Id,
                ContactId = conversation.ContactId,
                Kind = ActivityKind.Call,
                Direction = ActivityDirection.Incoming,
                Status = i % 2 == 0 ? "completed" : "missed",
                OccurredAt = conversation.LastActivityAt,
                CreatedAt = conversation.LastActivityAt,
                // A voicemail has a length but was never answered: missed reads both.
                DurationSeconds = i % 2 == 0 ? 65 : i == 3 ? 30 : null,
                AnsweredAt = i % 2 == 0 ? conversation.LastActivityAt.AddSeconds(3) : null,
                CompletedAt = conversation.LastActivityAt.AddSeconds(68),
                Recordings = i % 2 == 0 ? [new MediaItem { Url = $"https://files.example/{i}.mp3", DurationSeconds = 65 }] : [],
                Voicemail = i % 2 == 0 ? null : new MediaItem { Url = $"https://files.example/vm{i}.mp3", DurationSeconds = 12 },
                AiSummary = "Asked about a cracked foundation.",
                AiNextSteps = ["Send a quote"],
                Transcript = [new TranscriptLine { Speaker = "Contact", Text = "Hello?", StartSeconds = 0, EndSeconds = 1.5 }],
            };
            activities.AddRange([message, outgoing, call]);
            // Some last activities carry media (hasMedia), others are calls.
            var last = i % 4 == 0 ? message : call;
            conversation.LastActivityId = last.Id;
            conversation.LastActivityKind = last.Kind;
            conversation.LastActivityPreview = last.Body ?? "Call";
            conversation.LastInboundAt = call.OccurredAt;
        }

        await Fixture.ArrangeAsync(db =>
        {
            db.Add(line);
            db.AddRange(contacts);
            db.AddRange(conversations);
            db.AddRange(activities);
            return Task.CompletedTask;
        });
    }
}
