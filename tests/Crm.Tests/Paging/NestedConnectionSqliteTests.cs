using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using static Crm.Tests.Paging.NestedConnectionTests;

namespace Crm.Tests.Paging;

/// <summary>
/// The embedded default runs the same windowed queries (SQLite has ROW_NUMBER too) and the pages must agree. Statements
/// are counted on PostgreSQL only: the counter cannot tell this file's commands from those of other SQLite hosts.
/// </summary>
public sealed class NestedConnectionSqliteTests
{
    [Fact]
    public async Task OnSqliteEachParentsNestedPageIsWhatItGetsAlone()
    {
        await using var host = new SqliteHost();
        var client = await host.ClientAsAsync(CrmRole.Viewer);

        var conversationCursor = await MiddleCursorAsync(client, "{ conversations(first: 100) { edges { cursor } } }", data => data["conversations"]!);
        foreach (var (arguments, where) in new[] { ("first: 2", ""), ("last: 1, order: [{ lastActivityAt: ASC }]", "unread: { eq: false }"), ("first: 2, after: $cursor", "") })
        {
            await AssertEachParentAsAloneAsync(
                client,
                parents: $"contacts(first: 30, order: [{{ lastName: ASC }}]) {{ nodes {{ id conversations({Join(arguments, where)}) {{ {Page} }} }} }}",
                list: "contacts",
                field: "conversations",
                alone: [$"conversations(includeSnoozed: true, {arguments}, where: {{ contact: {{ id: {{ eq: $id }} }} {where} }}) {{ {Page} }}"],
                conversationCursor);
        }

        var activityCursor = await MiddleCursorAsync(client, "{ conversations(first: 1) { nodes { activities(first: 20) { edges { cursor } } } } }", data => data["conversations"]!["nodes"]![0]!["activities"]!);
        foreach (var arguments in new[] { "last: 3", "first: 2, order: [{ occurredAt: ASC }], where: { direction: { eq: OUTGOING } }", "last: 2, before: $cursor" })
        {
            await AssertEachParentAsAloneAsync(
                client,
                parents: $"conversations(first: 40) {{ nodes {{ id activities({arguments}) {{ {Page} }} }} }}",
                list: "conversations",
                field: "activities",
                alone: [$"conversation(id: $id) {{ activities({arguments}) {{ {Page} }} }}"],
                activityCursor);
        }
    }
}
