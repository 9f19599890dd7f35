using Crm.Data;
using Crm.Data.Campaigns;
using Crm.Data.Contacts;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.ContactLists;
using Crm.GraphQL.Messages;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Campaigns;

internal static class CampaignTemplateQueries
{
    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<CampaignTemplatesConnectionType>>("campaignTemplates")
            .Description("Saved campaign templates, newest first unless ordered otherwise.")
            .RequireRole(CrmRole.Viewer)
            .PagingArguments()
            .FilterArguments(typeof(CampaignTemplateFilterInputType), typeof(CampaignTemplateSortInputType))
            .ResolveAsync(async ctx => await ctx.PageAsync(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().CampaignTemplates.AsNoTracking(),
                CampaignTemplateFilters.Filter, CampaignTemplateFilters.Sort, CampaignTemplateFilters.DefaultOrder, CampaignTemplateFilters.Tiebreak));

        query.Field<NonNullGraphType<TemplatePreviewType>>("templatePreview")
            .Description("Checks a template body and shows what it would send: rendered for one contact (contactId), and estimated across an audience (where, listId, or both: the list's members that match). Reads, sends nothing.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<TemplatePreviewInputType>>("input")
            .ResolveAsync(async ctx => await PreviewAsync(ctx.RequestServices!, ctx.GetArgument<TemplatePreviewInput>("input"), ctx.CancellationToken));
    }

    private static async Task<TemplatePreview> PreviewAsync(IServiceProvider services, TemplatePreviewInput input, CancellationToken cancellationToken)
    {
        var contactId = input.ContactId is null ? (Guid?)null : NodeId.Decode(input.ContactId, "Contact");
        var listId = input.ListId is null ? (Guid?)null : NodeId.Decode(input.ListId, "ContactList");
        MessageTemplate template;
        try
        {
            template = await services.GetRequiredService<TemplateValidator>().ParseAsync(input.Body, cancellationToken);
        }
        catch (DomainException error)
        {
            return new TemplatePreview(null, [error], null, null);
        }

        var db = services.GetRequiredService<CrmDbContext>();
        var estimator = services.GetRequiredService<TemplateEstimator>();
        ContactTemplatePreview? forContact = null;
        if (contactId is { } id)
        {
            var contact = await db.Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken) ?? throw NotFound(nameof(Contact));
            var footer = services.GetRequiredService<OptOutFooter>();
            var isFirst = (await footer.NeverMarketedAsync([id], cancellationToken)).Contains(id);
            var rendered = template.Render(contact);
            var text = estimator.Compose(rendered, isFirst);
            forContact = new ContactTemplatePreview(contact, new MessageSegments(text, estimator.Count(text)), rendered, OptOutFooter.Applies(rendered.Text, footer.Text, isFirst));
        }

        TemplateEstimate? forAudience = null;
        if (input.Where is not null || listId is not null)
        {
            IQueryable<Contact> audience;
            try
            {
                audience = await ContactAudience.QueryAsync(db, input.Where, listId, cancellationToken);
            }
            catch (NotFoundException)
            {
                throw NotFound("ContactList");
            }

            forAudience = await estimator.EstimateAsync(audience, template, cancellationToken);
        }

        return new TemplatePreview(template, null, forContact, forAudience);
    }

    private static ExecutionError NotFound(string typeName) => new($"{typeName} not found.") { Code = "NOT_FOUND" };
}
