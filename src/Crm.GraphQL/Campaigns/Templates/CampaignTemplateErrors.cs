using Crm.Data.Campaigns;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Messages;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

internal sealed class CreateCampaignTemplateErrorType() : ErrorUnionGraphType(
    "CreateCampaignTemplateError",
    typeof(InvalidTemplateErrorType),
    typeof(EmptyMessageErrorType),
    typeof(MessageTooLongErrorType),
    typeof(DuplicateTemplateNameErrorType),
    typeof(InvalidFieldErrorType));

internal sealed class UpdateCampaignTemplateErrorType() : ErrorUnionGraphType(
    "UpdateCampaignTemplateError",
    typeof(InvalidTemplateErrorType),
    typeof(EmptyMessageErrorType),
    typeof(MessageTooLongErrorType),
    typeof(DuplicateTemplateNameErrorType),
    typeof(InvalidFieldErrorType),
    typeof(NotFoundErrorType));

internal sealed class DeleteCampaignTemplateErrorType() : ErrorUnionGraphType("DeleteCampaignTemplateError", typeof(NotFoundErrorType));

/// <summary>Why a body cannot be a template; the same errors a template preview reports.</summary>
internal sealed class TemplatePreviewErrorType() : ErrorUnionGraphType(
    "TemplatePreviewError", typeof(InvalidTemplateErrorType), typeof(EmptyMessageErrorType), typeof(MessageTooLongErrorType));

internal sealed class CreateCampaignTemplatePayloadType()
    : PayloadGraphType<CampaignTemplateType, CreateCampaignTemplateErrorType>("CreateCampaignTemplatePayload", "campaignTemplate", "The new template.");

internal sealed class UpdateCampaignTemplatePayloadType()
    : PayloadGraphType<CampaignTemplateType, UpdateCampaignTemplateErrorType>("UpdateCampaignTemplatePayload", "campaignTemplate", "The template as changed.");

internal sealed class DeleteCampaignTemplatePayloadType()
    : PayloadGraphType<CampaignTemplateType, DeleteCampaignTemplateErrorType>("DeleteCampaignTemplatePayload", "campaignTemplate", "The template as it was before deletion.");

internal sealed class InvalidTemplateErrorType : ErrorGraphType<InvalidTemplateException>
{
    public InvalidTemplateErrorType()
        : base("InvalidTemplateError", "The body cannot be rendered: a brace is not closed or not opened, a variable has no name, or a variable is unknown. The message names it and where it is.")
    {
        Field(x => x.Problem, type: typeof(NonNullGraphType<TemplateProblemType>)).Description("What is wrong.");
        Field(x => x.Variable, nullable: true).Description("The unknown variable, for UNKNOWN_VARIABLE.");
    }
}

internal sealed class TemplateProblemType : EnumerationGraphType<TemplateProblem>
{
    public TemplateProblemType()
    {
        Name = "TemplateProblem";
        Description = "What makes a template body invalid.";
        Values["UNCLOSED_BRACE"]!.Description = "A { without its }: write {{ for a literal brace.";
        Values["UNMATCHED_BRACE"]!.Description = "A } without its {: write }} for a literal brace.";
        Values["EMPTY_NAME"]!.Description = "A variable without a name, such as {} or {|there}.";
        Values["UNKNOWN_VARIABLE"]!.Description = "A variable that is neither built in (firstName, lastName, company, city) nor a custom field any contact has.";
    }
}

internal sealed class DuplicateTemplateNameErrorType : ErrorGraphType<DuplicateTemplateNameException>
{
    public DuplicateTemplateNameErrorType()
        : base("DuplicateTemplateNameError", "Another campaign template already has this name.")
    {
        Field(x => x.Name).Description("The name asked for.");
        Field<NonNullGraphType<IdGraphType>>("existingTemplateId").Description("The global id of the template that has it.")
            .Resolve(ctx => NodeId.Encode("CampaignTemplate", ctx.Source.ExistingTemplateId));
        Field<CampaignTemplateType>("existingTemplate").Description("The template that has it.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().CampaignTemplates.Load(ctx.Source.ExistingTemplateId));
    }
}
