using Crm.Data.Users;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Campaigns.Templates;

/// <summary>The embedded default reads custom fields with json_each and estimates with the same streamed query.</summary>
public sealed class TemplateSqliteTests
{
    [Fact]
    public async Task OnSqliteTemplatesKnowTheCustomFieldsAndAnEstimateCountsEveryContact()
    {
        await using var host = new SqliteHost();
        var client = await host.ClientAsAsync(CrmRole.Marketer);
        await client.DataAsync("""
            mutation { createContact(input: { firstName: "Dana", phone: "+16175550188", customFields: [{ key: "roofType", value: "slate" }] }) { contact { id } } }
            """);
        var all = (await client.DataAsync("{ contacts { totalCount } }"))["contacts"]!["totalCount"]!.GetValue<int>();

        var unknown = await client.DataAsync("{ templatePreview(input: { body: \"{roof}\" }) { errors { ... on Error { message } } } }");
        var estimate = await client.DataAsync("{ templatePreview(input: { body: \"Hi {firstName|there}, your {roofType|} roof\", where: {} }) { audience { contacts minSegments fellBack { variable contacts } } } }");

        Assert.Equal("Unknown variable {roof}: known are firstName, lastName, company, city, roofType.", unknown["templatePreview"]!["errors"]![0]!["message"]!.GetValue<string>());
        var audience = estimate["templatePreview"]!["audience"]!;
        Assert.Equal(all, audience["contacts"]!.GetValue<int>());
        Assert.Equal(1, audience["minSegments"]!.GetValue<int>());
        var roofType = audience["fellBack"]!.AsArray().Single(v => v!["variable"]!.GetValue<string>() == "roofType")!;
        Assert.Equal(all - 1, roofType["contacts"]!.GetValue<int>());
    }
}
