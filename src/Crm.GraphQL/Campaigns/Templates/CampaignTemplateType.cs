using Crm.Data.Campaigns;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

internal sealed class CampaignTemplateType : ObjectGraphType<CampaignTemplate>
{
    public CampaignTemplateType()
    {
        Name = "CampaignTemplate";
        Description = "A saved message body for campaigns: {firstName}, {lastName}, {company}, {city} and custom fields, each with an optional fallback ({firstName|there}); {{ and }} are literal braces.";
        Interface<NodeInterfaceType>();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Name).Description("Unique.");
        Field(x => x.Body).Description("The text with its variables, checked when saved.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("variables")
            .Description("The variables the body uses, in order of first use.")
            .Resolve(ctx => MessageTemplate.Parse(ctx.Source.Body).Variables);
        Field(x => x.CreatedAt).Description("When it was created.");
        Field(x => x.UpdatedAt).Description("When it was last changed.");
        Field(x => x.CreatedBy).Description("Who created it (the user or API key).");
    }
}

internal sealed class CampaignTemplatesConnectionType() : ConnectionGraphType<CampaignTemplateType, CampaignTemplate>("CampaignTemplates", "A page of campaign templates.");

/// <summary>What campaign templates may be filtered and ordered by.</summary>
internal static class CampaignTemplateFilters
{
    private static readonly Lazy<FilterDefinition<CampaignTemplate>> LazyFilter = new(() => new FilterDefinition<CampaignTemplate>()
        .Id("id", t => t.Id, "CampaignTemplate", "The template's global id.")
        .String("name", t => t.Name, "The template's name.")
        .String("body", t => t.Body, "The text with its variables.")
        .String("createdBy", t => t.CreatedBy, "Who created it.")
        .Comparable("createdAt", t => t.CreatedAt, typeof(DateTimeOperationFilterInputType), "When it was created.")
        .Comparable("updatedAt", t => t.UpdatedAt, typeof(DateTimeOperationFilterInputType), "When it was last changed."));

    private static readonly Lazy<SortDefinition<CampaignTemplate>> LazySort = new(() => new SortDefinition<CampaignTemplate>()
        .Field("name", t => t.Name, "The template's name.")
        .Field("createdAt", t => t.CreatedAt, "When it was created.")
        .Field("updatedAt", t => t.UpdatedAt, "When it was last changed."));

    public static FilterDefinition<CampaignTemplate> Filter => LazyFilter.Value;

    public static SortDefinition<CampaignTemplate> Sort => LazySort.Value;

    /// <summary>Newest first, the default of <c>campaignTemplates</c>.</summary>
    public static readonly SortKey<CampaignTemplate>[] DefaultOrder = [SortKey<CampaignTemplate>.Desc(t => t.CreatedAt), SortKey<CampaignTemplate>.Desc(t => t.Id)];

    public static readonly SortKey<CampaignTemplate> Tiebreak = SortKey<CampaignTemplate>.Asc(t => t.Id);
}

internal sealed class CampaignTemplateFilterInputType() : FilterInputGraphType<CampaignTemplate>("CampaignTemplateFilterInput", CampaignTemplateFilters.Filter);

internal sealed class CampaignTemplateSortInputType() : SortInputGraphType<CampaignTemplate>("CampaignTemplateSortInput", CampaignTemplateFilters.Sort);
