using Crm.Data.Contacts;
using Crm.Data.Users;
using Crm.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Campaigns.Templates;

public sealed class CampaignTemplateMutationsTests(PostgresFixture fixture) : PostgresTest(fixture)
{
    private const string Create = """
        mutation($input: CreateCampaignTemplateInput!) {
          createCampaignTemplate(input: $input) {
            campaignTemplate { id name body variables createdBy }
            errors {
              __typename
              ... on Error { message }
              ... on InvalidTemplateError { problem variable }
              ... on DuplicateTemplateNameError { name existingTemplate { name } }
            }
          }
        }
        """;

    private const string Update = """
        mutation($input: UpdateCampaignTemplateInput!) {
          updateCampaignTemplate(input: $input) { campaignTemplate { name body variables } errors { __typename ... on Error { message } } }
        }
        """;

    [Fact]
    public async Task MarketersSaveChangeAndDeleteTemplatesWhoseBodiesAreCheckedAndViewersOnlyReadThem()
    {
        await Fixture.ArrangeAsync(db =>
        {
            db.Contacts.Add(new Contact { Phone = "+16175550111", CustomFields = new() { ["roofType"] = "slate" } });
            return Task.CompletedTask;
        });
        var marketer = await Fixture.ClientAsAsync(CrmRole.Marketer);
        var viewer = await Fixture.ClientAsAsync(CrmRole.Viewer);

        var created = await marketer.DataAsync(Create, new { input = new { name = " Spring ", body = "Hi {firstName|there}, your {roofType} roof" } });
        var template = created["createCampaignTemplate"]!["campaignTemplate"]!;
        var id = template["id"]!.GetValue<string>();
        var duplicate = await marketer.DataAsync(Create, new { input = new { name = "Spring", body = "Hello" } });
        var unknown = await marketer.DataAsync(Create, new { input = new { name = "Typo", body = "Hi {frstName}" } });
        var empty = await marketer.DataAsync(Create, new { input = new { name = "Empty", body = "  " } });
        var badEdit = await marketer.DataAsync(Update, new { input = new { id, body = "Hi {gateCode}" } });
        var edited = await marketer.DataAsync(Update, new { input = new { id, name = "Spring 2027", body = "{{Sale}} for {city|you}" } });
        var asViewer = await viewer.PostAsync(Create, new { input = new { name = "Mine", body = "Hello" } });
        var listed = await viewer.DataAsync("""
            { campaignTemplates(where: { name: { startsWith: "spring" } }, order: [{ name: ASC }]) { totalCount nodes { name } } }
            """);
        var node = await viewer.DataAsync("query($id: ID!) { node(id: $id) { __typename ... on CampaignTemplate { name variables } } }", new { id });
        var deletedByViewer = await viewer.PostAsync("mutation($id: ID!) { deleteCampaignTemplate(input: { id: $id }) { errors { __typename } } }", new { id });
        var deleted = await marketer.DataAsync("mutation($id: ID!) { deleteCampaignTemplate(input: { id: $id }) { campaignTemplate { name } errors { __typename } } }", new { id });
        var again = await marketer.DataAsync("mutation($id: ID!) { deleteCampaignTemplate(input: { id: $id }) { campaignTemplate { name } errors { __typename } } }", new { id });

        var shown = template.DeepClone().AsObject();
        shown.Remove("id");
        Assert.Equal("""{"name":"Spring","body":"Hi {firstName|there}, your {roofType} roof","variables":["firstName","roofType"],"createdBy":"test Marketer"}""", GraphQLClient.Compact(shown));
        Assert.Equal("""[{"__typename":"DuplicateTemplateNameError","message":"A template named 'Spring' already exists.","name":"Spring","existingTemplate":{"name":"Spring"}}]""", GraphQLClient.Compact(duplicate["createCampaignTemplate"]!["errors"]));
        Assert.Equal("""[{"__typename":"InvalidTemplateError","message":"Unknown variable {frstName}: known are firstName, lastName, company, city, roofType.","problem":"UNKNOWN_VARIABLE","variable":"frstName"}]""", GraphQLClient.Compact(unknown["createCampaignTemplate"]!["errors"]));
        Assert.Equal("EmptyMessageError", empty["createCampaignTemplate"]!["errors"]![0]!["__typename"]!.GetValue<string>());
        Assert.Equal("""{"campaignTemplate":null,"errors":[{"__typename":"InvalidTemplateError","message":"Unknown variable {gateCode}: known are firstName, lastName, company, city, roofType."}]}""", GraphQLClient.Compact(badEdit["updateCampaignTemplate"]));
        Assert.Equal("""{"campaignTemplate":{"name":"Spring 2027","body":"{{Sale}} for {city|you}","variables":["city"]},"errors":null}""", GraphQLClient.Compact(edited["updateCampaignTemplate"]));
        Assert.Equal("AUTH_NOT_AUTHORIZED", asViewer.ErrorCode);
        Assert.Equal("""{"totalCount":1,"nodes":[{"name":"Spring 2027"}]}""", GraphQLClient.Compact(listed["campaignTemplates"]));
        Assert.Equal("""{"__typename":"CampaignTemplate","name":"Spring 2027","variables":["city"]}""", GraphQLClient.Compact(node["node"]));
        Assert.Equal("AUTH_NOT_AUTHORIZED", deletedByViewer.ErrorCode);
        Assert.Equal("""{"campaignTemplate":{"name":"Spring 2027"},"errors":null}""", GraphQLClient.Compact(deleted["deleteCampaignTemplate"]));
        Assert.Equal("""{"campaignTemplate":null,"errors":[{"__typename":"NotFoundError"}]}""", GraphQLClient.Compact(again["deleteCampaignTemplate"]));
        Assert.Equal(0, await Fixture.QueryAsync(db => db.CampaignTemplates.CountAsync()));
        var actions = await Fixture.QueryAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("template.")).OrderBy(a => a.At).Select(a => a.Action + " " + a.ActorName).ToListAsync());
        Assert.Equal(["template.created test Marketer", "template.updated test Marketer", "template.deleted test Marketer"], actions);
    }
}
