using Crm.Data.Contacts;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Paging;

/// <summary>For random filters and orders, walking small pages forward or backward returns exactly the unpaged rows.</summary>
public sealed class PagingPropertyTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private static readonly string[] Filters =
    [
        "",
        "where: { tags: { some: { eq: \"vip\" } } }",
        "where: { lastName: { startsWith: \"b\" } }",
        "where: { or: [{ firstName: { eq: null } }, { company: { contains: \"co\" } }] }",
        "where: { createdAt: { gte: \"2026-03-02T15:10:00Z\" } }",
    ];

    private static readonly string[] Keys = ["firstName", "lastName", "company", "createdAt", "city"];

    [Fact]
    public async Task PagedResultsEqualTheUnpagedQueryForRandomFiltersAndOrders()
    {
        var random = new Random(20261126);
        var contacts = Enumerable.Range(1, 45).Select(n =>
        {
            var c = TestData.Contact(n, random.Next(4) == 0 ? null : $"F{random.Next(6)}", random.Next(5) == 0 ? null : $"B{random.Next(5)}");
            c.Company = random.Next(3) == 0 ? null : $"Co{random.Next(3)}";
            c.Address = new Address { City = random.Next(2) == 0 ? null : $"City{random.Next(3)}" };
            c.Tags = random.Next(3) == 0 ? ["vip"] : [];
            c.CreatedAt = TestData.Epoch.AddMinutes(random.Next(30));
            return c;
        }).ToList();
        await Fixture.ArrangeAsync(db =>
        {
            db.AddRange(contacts);
            return Task.CompletedTask;
        });

        for (var trial = 0; trial < 12; trial++)
        {
            var filter = Filters[random.Next(Filters.Length)];
            var order = string.Join(", ", Keys.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).Select(k => $"{{ {k}: {(random.Next(2) == 0 ? "ASC" : "DESC")} }}"));
            var arguments = $"{filter}{(filter.Length > 0 ? ", " : string.Empty)}order: [{order}]";
            var size = random.Next(1, 6);

            var all = await IdsAsync($"first: 100, {arguments}");
            Assert.Equal(all, await WalkAsync(arguments, size, forward: true));
            Assert.Equal(all, await WalkAsync(arguments, size, forward: false));
        }
    }

    private async Task<List<string>> IdsAsync(string arguments) =>
        [.. (await Client.DataAsync($"{{ contacts({arguments}) {{ nodes {{ id }} }} }}"))["contacts"]!["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>())];

    private async Task<List<string>> WalkAsync(string arguments, int size, bool forward)
    {
        var seen = new List<string>();
        string? cursor = null;
        for (var guard = 0; guard < 100; guard++)
        {
            var paging = forward ? $"first: {size}, after: $c" : $"last: {size}, before: $c";
            var page = (await Client.DataAsync($"query($c: String) {{ contacts({paging}, {arguments}) {{ pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} nodes {{ id }} }} }}", new { c = cursor }))["contacts"]!;
            var ids = page["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()).ToList();
            if (forward)
            {
                seen.AddRange(ids);
            }
            else
            {
                seen.InsertRange(0, ids);
            }

            if (!page["pageInfo"]![forward ? "hasNextPage" : "hasPreviousPage"]!.GetValue<bool>())
            {
                return seen;
            }

            cursor = page["pageInfo"]![forward ? "endCursor" : "startCursor"]!.GetValue<string>();
        }

        throw new InvalidOperationException("Paging did not end.");
    }
}
