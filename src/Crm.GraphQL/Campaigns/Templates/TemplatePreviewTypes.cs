using Crm.Data.Campaigns;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Messages;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

internal sealed record TemplatePreviewInput(string Body, string? ContactId, Dictionary<string, object?>? Where, string? ListId);

/// <summary>A body checked: its template, or why it is none; and what it renders to for a contact and an audience.</summary>
internal sealed record TemplatePreview(MessageTemplate? Template, IReadOnlyList<Exception>? Errors, ContactTemplatePreview? Contact, TemplateEstimate? Audience);

internal sealed record ContactTemplatePreview(Crm.Data.Contacts.Contact Contact, MessageSegments Text, RenderedText Rendered, bool OptOutFooter);

internal sealed record VariableCount(string Variable, int Contacts);

internal sealed class TemplatePreviewInputType : InputObjectGraphType<TemplatePreviewInput>
{
    public TemplatePreviewInputType()
    {
        Name = "TemplatePreviewInput";
        Description = "A body to check, and whom to render it for: a contact, an audience, both or neither.";
        Field(x => x.Body).Description("The text with its variables.");
        Field(x => x.ContactId, type: typeof(IdGraphType)).Description("Render it for this contact.");
        Field(x => x.Where, type: typeof(ContactFilterInputType)).Description("Estimate it across the contacts contacts(where:) lists with this filter.");
        Field(x => x.ListId, type: typeof(IdGraphType)).Description("Estimate it across this contact list's members (with where: those that match).");
    }
}

internal sealed class TemplatePreviewType : ObjectGraphType<TemplatePreview>
{
    public TemplatePreviewType()
    {
        Name = "TemplatePreview";
        Description = "A template body checked, rendered for a contact and estimated across an audience.";
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("variables")
            .Description("The variables the body uses, in order of first use; null when it has errors.")
            .Resolve(ctx => ctx.Source.Template?.Variables);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("knownVariables")
            .Description("Every variable a body may use: the built-ins, then the custom fields contacts have.")
            .ResolveAsync(async ctx => await ctx.RequestServices!.GetRequiredService<TemplateValidator>().KnownVariablesAsync(ctx.CancellationToken));
        Field<ListGraphType<NonNullGraphType<TemplatePreviewErrorType>>>("errors")
            .Description("Why the body cannot be sent as a template (the error that saving it would get); null when it can.")
            .Resolve(ctx => ctx.Source.Errors);
        Field<ContactTemplatePreviewType>("contact").Description("The text for the contact of contactId; null without one or with errors.").Resolve(ctx => ctx.Source.Contact);
        Field<TemplateAudienceEstimateType>("audience").Description("The estimate across where/listId; null without them or with errors.").Resolve(ctx => ctx.Source.Audience);
    }
}

internal sealed class ContactTemplatePreviewType : ObjectGraphType<ContactTemplatePreview>
{
    public ContactTemplatePreviewType()
    {
        Name = "ContactTemplatePreview";
        Description = "A template rendered for one contact, as a campaign would send it.";
        Field<NonNullGraphType<ContactType>>("contact").Description("The contact.").Resolve(ctx => ctx.Source.Contact);
        Field<NonNullGraphType<StringGraphType>>("text")
            .Description("The text they would get: values trimmed, the opt-out footer on a first marketing text, lookalikes replaced when Compliance:ReplaceLookalikes is on.")
            .Resolve(ctx => ctx.Source.Text.NormalizedBody);
        Field<NonNullGraphType<MessageSegmentsType>>("segments").Description("Its encoding, SMS parts and cost.").Resolve(ctx => ctx.Source.Text);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("fellBack")
            .Description("Variables the contact has no value for that rendered their fallback.")
            .Resolve(ctx => ctx.Source.Rendered.FellBack);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("missing")
            .Description("Variables the contact has no value for and that have no fallback: they rendered nothing.")
            .Resolve(ctx => ctx.Source.Rendered.Missing);
        Field<NonNullGraphType<BooleanGraphType>>("optOutFooter")
            .Description("Whether the text carries Campaigns:OptOutFooter: the contact was never sent a marketing text.")
            .Resolve(ctx => ctx.Source.OptOutFooter);
    }
}

internal sealed class TemplateAudienceEstimateType : ObjectGraphType<TemplateEstimate>
{
    public TemplateAudienceEstimateType()
    {
        Name = "TemplateAudienceEstimate";
        Description = "A template rendered for every contact of an audience (as given: exclusions such as opt-outs are not applied), and what the texts would take and cost.";
        Field(x => x.Contacts).Description("Contacts in the audience: one text each.");
        Field(x => x.MinSegments).Description("Fewest SMS parts of one text.");
        Field(x => x.MeanSegments).Description("Mean SMS parts per text.");
        Field(x => x.MaxSegments).Description("Most SMS parts of one text.");
        Field(x => x.TotalSegments).Description("SMS parts of all the texts.");
        Field<NonNullGraphType<FloatGraphType>>("minCost").Description("Cost of the cheapest text, in dollars (parts × OpenPhone:PricePerSegment).").Resolve(ctx => (double)ctx.Source.MinCost);
        Field<NonNullGraphType<FloatGraphType>>("meanCost").Description("Mean cost per text, in dollars.").Resolve(ctx => (double)ctx.Source.MeanCost);
        Field<NonNullGraphType<FloatGraphType>>("maxCost").Description("Cost of the dearest text, in dollars.").Resolve(ctx => (double)ctx.Source.MaxCost);
        Field<NonNullGraphType<FloatGraphType>>("totalCost").Description("Cost of all the texts, in dollars.").Resolve(ctx => (double)ctx.Source.TotalCost);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<MessageEncodingType>>>>("encodings")
            .Description("The encodings the texts would travel in: UCS2 when a text has a character outside the GSM alphabet (an emoji, a curly quote in a name).")
            .Resolve(ctx => ctx.Source.Encodings);
        Field(x => x.Ucs2Texts).Description("Texts that would travel as UCS-2 (70 characters a part instead of 160).");
        Field("withOptOutFooter", x => x.WithFooter).Description("Texts that would carry the opt-out footer: their contacts were never sent a marketing text.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TemplateVariableCountType>>>>("missing")
            .Description("Per variable, the contacts it rendered nothing for (no value, no fallback).")
            .Resolve(ctx => Counts(ctx.Source.Missing));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TemplateVariableCountType>>>>("fellBack")
            .Description("Per variable, the contacts it rendered its fallback for.")
            .Resolve(ctx => Counts(ctx.Source.FellBack));
    }

    private static List<VariableCount> Counts(IReadOnlyDictionary<string, int> counts) =>
        [.. counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new VariableCount(c.Key, c.Value))];
}

internal sealed class TemplateVariableCountType : ObjectGraphType<VariableCount>
{
    public TemplateVariableCountType()
    {
        Name = "TemplateVariableCount";
        Description = "How many contacts of an audience one variable had no value for.";
        Field(x => x.Variable).Description("The variable's name.");
        Field(x => x.Contacts).Description("Contacts it had no value for.");
    }
}
