using Crm.Tests.Infrastructure;
using GraphQL;
using GraphQL.Types;
using GraphQL.Utilities;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Tests.Schema;

/// <summary>schema.graphql is what integrators read: it must be the production schema, printed.</summary>
public sealed class SchemaTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    [Fact]
    public async Task SchemaGraphqlMatchesTheProductionSchema()
    {
        var printed = Fixture.Factory.Services.GetRequiredService<ISchema>().Print(new PrintOptions { IncludeDescriptions = true }).ReplaceLineEndings("\n").TrimEnd() + "\n";
        var path = Path.Combine(Repository.Root(), "schema.graphql");

        if (Environment.GetEnvironmentVariable("UPDATE_SCHEMA") == "1")
        {
            await File.WriteAllTextAsync(path, printed);
        }

        var committed = File.Exists(path) ? await File.ReadAllTextAsync(path) : "(missing)";
        Assert.True(committed == printed, "schema.graphql is stale: run `UPDATE_SCHEMA=1 scripts/test.sh --filter SchemaTests` and commit it.");
    }
}
