using Crm.Data.Campaigns;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

/// <summary>Reusable templates (<see cref="CampaignTemplateOperations"/>): marketers and up, each audited.</summary>
internal static class CampaignTemplateMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CreateCampaignTemplatePayloadType>>("createCampaignTemplate")
            .Description("Saves a template. Its body is checked first: an unclosed brace or an unknown variable is an InvalidTemplateError that names it. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<CreateCampaignTemplateInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<CreateCampaignTemplateInput>("input");
                return MutationConventions.RunAsync(async () => new Payload(await Templates(ctx).CreateAsync(input.Name, input.Body, ctx.Actor(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<UpdateCampaignTemplatePayloadType>>("updateCampaignTemplate")
            .Description("Renames a template or changes its body (checked as on create); omitted fields stay as they are. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<UpdateCampaignTemplateInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<UpdateCampaignTemplateInput>("input");
                var id = NodeId.Decode(input.Id, "CampaignTemplate");
                return MutationConventions.RunAsync(async () => new Payload(await Templates(ctx).UpdateAsync(id, input.Name, input.Body, ctx.Actor(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<DeleteCampaignTemplatePayloadType>>("deleteCampaignTemplate")
            .Description("Deletes a template. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<DeleteCampaignTemplateInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<DeleteCampaignTemplateInput>("input").Id, "CampaignTemplate");
                return MutationConventions.RunAsync(async () => new Payload(await Templates(ctx).DeleteAsync(id, ctx.Actor(), ctx.CancellationToken), null));
            });
    }

    private static CampaignTemplateOperations Templates(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<CampaignTemplateOperations>();
}

internal sealed record CreateCampaignTemplateInput(string Name, string Body);

internal sealed record UpdateCampaignTemplateInput(string Id, string? Name, string? Body);

internal sealed record DeleteCampaignTemplateInput(string Id);

internal sealed class CreateCampaignTemplateInputType : InputObjectGraphType<CreateCampaignTemplateInput>
{
    public CreateCampaignTemplateInputType()
    {
        Name = "CreateCampaignTemplateInput";
        Description = "A new campaign template.";
        Field(x => x.Name).Description($"Unique; at most {CampaignTemplate.MaxNameLength} characters, trimmed.");
        Field(x => x.Body).Description("The text with its variables, such as \"Hi {firstName|there}, …\".");
    }
}

internal sealed class UpdateCampaignTemplateInputType : InputObjectGraphType<UpdateCampaignTemplateInput>
{
    public UpdateCampaignTemplateInputType()
    {
        Name = "UpdateCampaignTemplateInput";
        Description = "Changes to a campaign template. Omitted fields stay as they are.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The template to change.");
        Field(x => x.Name, nullable: true).Description("The new name; unique.");
        Field(x => x.Body, nullable: true).Description("The new body, checked as on create.");
    }
}

internal sealed class DeleteCampaignTemplateInputType : InputObjectGraphType<DeleteCampaignTemplateInput>
{
    public DeleteCampaignTemplateInputType()
    {
        Name = "DeleteCampaignTemplateInput";
        Description = "The template to delete.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The template to delete.");
    }
}
