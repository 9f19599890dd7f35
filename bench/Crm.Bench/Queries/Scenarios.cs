using Npgsql;

namespace Crm.Bench.Queries;

/// <summary>The scenarios. GraphQL texts are the server's contract; each floor is what a person would write by hand.</summary>
internal static class Scenarios
{
    public const string InboxFirstPage = "inbox first page";

    public const string DashboardWarm = "dashboard (warm cache)";

    private const string InboxSelection =
        "nodes { id unread lastActivityAt contact { displayName phone } lastActivity { kind body occurredAt } } pageInfo { endCursor hasNextPage }";

    /// <summary>The inbox hides conversations snoozed into the future unless asked not to: the floor does the same work.</summary>
    private const string NotSnoozed = """("SnoozedUntil" IS NULL OR "SnoozedUntil" <= now())""";

    private static string InboxFloor(string condition) => $"""
        SELECT c."Id", c."UnreadCount", c."LastActivityAt", ct."FirstName", ct."LastName", ct."Phone", a."Kind", a."Body", a."OccurredAt"
        FROM "Conversations" c
        JOIN "Contacts" ct ON ct."Id" = c."ContactId"
        LEFT JOIN "Activities" a ON a."Id" = c."LastActivityId"
        WHERE (c."SnoozedUntil" IS NULL OR c."SnoozedUntil" <= now()){condition}
        ORDER BY c."LastActivityAt" DESC, c."Id" DESC
        LIMIT 51
        """;

    private const int PageSize = 50;
    private const int DeepPage = 200;

    public static async Task<List<Scenario>> CreateAsync(GraphQLClient client, NpgsqlDataSource dataSource)
    {
        var scenarios = new List<Scenario>
        {
            new()
            {
                Name = InboxFirstPage,
                Query = $"query {{ conversations(first: 50) {{ {InboxSelection} }} }}",
                FloorSql = InboxFloor(string.Empty),
                GraphQLKeys = data => Scenario.Nodes(data, "conversations").Select(Scenario.IdKey),
            },
            await DeepInboxPageAsync(client, dataSource),
            new()
            {
                Name = "unread-only inbox",
                Query = $"query {{ conversations(first: 50, where: {{ unreadCount: {{ gt: 0 }} }}) {{ {InboxSelection} }} }}",
                FloorSql = InboxFloor(""" AND c."UnreadCount" > 0"""),
                GraphQLKeys = data => Scenario.Nodes(data, "conversations").Select(Scenario.IdKey),
            },
            new()
            {
                Name = "contacts by name prefix",
                Query = """query { contacts(first: 50, where: { lastName: { startsWith: "Sm" } }, order: [{ lastName: ASC }, { firstName: ASC }]) { nodes { id displayName phone } } }""",
                // startsWith is case-insensitive: lower() LIKE, served by the trigram index. Materialized first: left to itself the
                // planner walks the (LastName, FirstName) index in order hoping for early matches and reads most of it (140 ms at 100k).
                FloorSql = """
                    WITH matches AS MATERIALIZED (
                        SELECT "Id", "FirstName", "LastName", "Phone" FROM "Contacts" WHERE lower("LastName") LIKE 'sm%')
                    SELECT "Id", "FirstName", "LastName", "Phone" FROM matches
                    ORDER BY "LastName", "FirstName", "Id"
                    LIMIT 50
                    """,
                GraphQLKeys = data => Scenario.Nodes(data, "contacts").Select(Scenario.IdKey),
            },
            new()
            {
                Name = "contacts with tag",
                Query = """query { contacts(first: 50, where: { tags: { some: { eq: "vip" } } }) { nodes { id displayName phone tags } } }""",
                // The default contact order: newest first.
                FloorSql = """
                    SELECT "Id", "FirstName", "LastName", "Phone", "Tags" FROM "Contacts"
                    WHERE "Tags" @> ARRAY['vip']::text[]
                    ORDER BY "CreatedAt" DESC, "Id" DESC
                    LIMIT 50
                    """,
                GraphQLKeys = data => Scenario.Nodes(data, "contacts").Select(Scenario.IdKey),
            },
            new()
            {
                Name = "message-body search",
                Query = """query { search(text: "foundation", first: 20) { nodes { __typename ... on Contact { id displayName } ... on Activity { id body occurredAt } } } }""",
                Rows = 20,
                // The server's order: contacts whose name or company contains the text (those starting with it first, then by
                // name), then messages containing it, newest first. UNION ALL runs its branches in order (an Append node).
                FloorSql = """
                    (SELECT c."Id", 'Contact' AS type, c."FirstName", c."LastName", c."Phone", NULL AS body, NULL::timestamptz AS occurred
                     FROM "Contacts" c
                     WHERE lower(c."FirstName") LIKE '%foundation%' OR lower(c."LastName") LIKE '%foundation%' OR lower(c."Company") LIKE '%foundation%'
                     ORDER BY CASE WHEN lower(c."LastName") LIKE 'foundation%' OR lower(c."FirstName") LIKE 'foundation%' THEN 0 ELSE 1 END,
                              c."LastName", c."FirstName", c."Id"
                     LIMIT 20)
                    UNION ALL
                    (SELECT a."Id", 'Activity', NULL, NULL, NULL, a."Body", a."OccurredAt"
                     FROM "Activities" a
                     WHERE a."Kind" = 'Message' AND lower(a."Body") LIKE '%foundation%'
                     ORDER BY a."OccurredAt" DESC, a."Id" DESC
                     LIMIT 20)
                    LIMIT 20
                    """,
                GraphQLKeys = data => Scenario.Nodes(data, "search").Select(Scenario.IdKey),
            },
            await ContactTimelineAsync(dataSource),
            Dashboard(),
            new()
            {
                Name = "20 contacts, each with its 5 latest conversations",
                Query = "query { contacts(first: 20) { nodes { id displayName conversations(first: 5) { nodes { id unread status lastActivityAt } } } } }",
                Rows = 100,
                // The default contact order (newest first), and each one's conversations in inbox order. A LEFT JOIN, as a
                // contact without conversations is still on the page (its row's conversation id is null).
                FloorSql = """
                    SELECT cv."Id", ct."Id", ct."FirstName", ct."LastName", ct."Phone", cv."UnreadCount", cv."Status", cv."LastActivityAt"
                    FROM (SELECT "Id", "FirstName", "LastName", "Phone", "CreatedAt" FROM "Contacts" ORDER BY "CreatedAt" DESC, "Id" DESC LIMIT 20) ct
                    LEFT JOIN LATERAL (
                        SELECT "Id", "UnreadCount", "Status", "LastActivityAt" FROM "Conversations"
                        WHERE "ContactId" = ct."Id"
                        ORDER BY "LastActivityAt" DESC, "Id" DESC
                        LIMIT 5) cv ON TRUE
                    ORDER BY ct."CreatedAt" DESC, ct."Id" DESC, cv."LastActivityAt" DESC, cv."Id" DESC
                    """,
                GraphQLKeys = data => Scenario.Nodes(data, "contacts").SelectMany(contact =>
                    contact.GetProperty("conversations").GetProperty("nodes").EnumerateArray().Select(Scenario.IdKey).DefaultIfEmpty(string.Empty)),
            },
        };
        return scenarios;
    }

    /// <summary>Page 200 of the inbox: the cursor is found by walking pages 1–199 once, the floor's key by OFFSET.</summary>
    private static async Task<Scenario> DeepInboxPageAsync(GraphQLClient client, NpgsqlDataSource dataSource)
    {
        const string name = "inbox page 200";
        const string query = $"query($after: String) {{ conversations(first: 50, after: $after) {{ {InboxSelection} }} }}";
        await using var command = dataSource.CreateCommand($"""
            SELECT "LastActivityAt", "Id" FROM "Conversations" WHERE {NotSnoozed} ORDER BY "LastActivityAt" DESC, "Id" DESC OFFSET $1 LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (DeepPage - 1) * PageSize - 1 });
        DateTime lastAt;
        Guid lastId;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync())
            {
                return Unavailable(name, query, $"fewer than {(DeepPage - 1) * PageSize + 1} conversations");
            }

            lastAt = reader.GetDateTime(0);
            lastId = reader.GetGuid(1);
        }

        string? after = null;
        try
        {
            for (var page = 1; page < DeepPage; page++)
            {
                var data = await client.QueryAsync(
                    "query($after: String) { conversations(first: 50, after: $after) { pageInfo { endCursor } } }", new { after });
                after = data.GetProperty("conversations").GetProperty("pageInfo").GetProperty("endCursor").GetString();
            }
        }
        catch (GraphQLFailedException ex)
        {
            return Unavailable(name, query, ex.Message);
        }

        return new Scenario
        {
            Name = name,
            Query = query,
            Variables = new { after },
            FloorSql = InboxFloor(""" AND (c."LastActivityAt", c."Id") < ($1, $2)"""),
            FloorParameters = [lastAt, lastId],
            GraphQLKeys = data => Scenario.Nodes(data, "conversations").Select(Scenario.IdKey),
        };
    }

    /// <summary>
    /// The dashboard, as staff reload it: warm, from the cache (the warm-up fills it and no event drops it here). Its floor
    /// is the hand-written SQL that counts the same texts and conversations every time, which an uncached dashboard would
    /// run; the ratio says what the cache saves. Compared on the 30 days' texts in.
    /// </summary>
    private static Scenario Dashboard() => new()
    {
        Name = DashboardWarm,
        Query = """
            query { dashboard { computedAt unread
              today { newConversations textsIn textsOut contacted replied replyRate optOuts campaignDeliveries }
              last7Days { newConversations textsIn textsOut contacted replied replyRate optOuts campaignDeliveries }
              last30Days { newConversations textsIn textsOut contacted replied replyRate optOuts campaignDeliveries }
              textsPerDay { date textsIn textsOut } } }
            """,
        Rows = 1,
        FloorSql = """
            WITH since AS (SELECT (date_trunc('day', now() AT TIME ZONE 'America/New_York') - interval '29 days') AT TIME ZONE 'America/New_York' AS at),
            texts AS (
                SELECT a."ConversationId", a."Direction" = 'Incoming' AS incoming, a."OccurredAt"
                FROM "Activities" a, since
                WHERE a."Kind" = 'Message' AND a."OccurredAt" >= since.at
                  AND (a."Direction" = 'Incoming' OR a."OutboundStatus" IS NULL OR a."OutboundStatus" IN ('Sent', 'Delivered')))
            SELECT
                (SELECT count(*) FROM texts WHERE incoming) AS texts_in,
                (SELECT count(*) FROM texts WHERE NOT incoming) AS texts_out,
                (SELECT count(DISTINCT "ConversationId") FROM texts WHERE NOT incoming) AS contacted,
                (SELECT count(*) FROM "Conversations", since WHERE "CreatedAt" >= since.at) AS new_conversations,
                (SELECT count(*) FROM "Conversations" WHERE "UnreadCount" > 0) AS unread,
                (SELECT json_agg(d) FROM (
                    SELECT date_trunc('day', "OccurredAt" AT TIME ZONE 'America/New_York') AS day, count(*) FILTER (WHERE incoming) AS texts_in, count(*) FILTER (WHERE NOT incoming) AS texts_out
                    FROM texts GROUP BY 1 ORDER BY 1) d) AS per_day
            """,
        FloorKey = row => row[0] is long count ? count.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty,
        GraphQLKeys = data => [data.GetProperty("dashboard").GetProperty("last30Days").GetProperty("textsIn").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture)],
    };

    /// <summary>The contact with the most activities: the worst case of a timeline.</summary>
    private static async Task<Scenario> ContactTimelineAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT "ContactId" FROM "Activities" GROUP BY "ContactId" ORDER BY count(*) DESC, "ContactId" LIMIT 1
            """);
        var contactId = (Guid)(await command.ExecuteScalarAsync())!;
        return new Scenario
        {
            Name = "contact with last 50 activities",
            Query = "query($id: ID!) { contact(id: $id) { displayName activities(first: 50) { nodes { kind direction body occurredAt } } } }",
            Variables = new { id = Scenario.EncodeId("Contact", contactId) },
            FloorSql = """
                SELECT a."OccurredAt", ct."FirstName", ct."LastName", ct."Phone", a."Kind", a."Direction", a."Body"
                FROM "Contacts" ct
                LEFT JOIN LATERAL (
                    SELECT "Kind", "Direction", "Body", "OccurredAt" FROM "Activities"
                    WHERE "ContactId" = ct."Id"
                    ORDER BY "OccurredAt" DESC, "Id" DESC
                    LIMIT 50) a ON TRUE
                WHERE ct."Id" = $1
                """,
            FloorParameters = [contactId],
            FloorKey = row => row[0] is DateTime at ? Scenario.TimeKey(at) : string.Empty,
            GraphQLKeys = data => data.GetProperty("contact").GetProperty("activities").GetProperty("nodes").EnumerateArray()
                .Select(n => Scenario.TimeKey(n.GetProperty("occurredAt"))),
        };
    }

    private static Scenario Unavailable(string name, string query, string reason) => new()
    {
        Name = name,
        Query = query,
        FloorSql = "SELECT 1",
        GraphQLKeys = _ => [],
        Unavailable = reason,
    };
}
