using Crm.Data.Campaigns;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

/// <summary>
/// Campaign inputs are read as dictionaries: the audience's <c>where</c> is a <c>ContactFilterInput</c>, kept as the
/// JSON a client would send (<see cref="ContactFilterJson"/>), and an omitted field must be told from a null one.
/// </summary>
internal static class CampaignInputs
{
    public static CampaignDraft Draft(Dictionary<string, object?> input, ISchema schema)
    {
        var audience = input.GetValueOrDefault("audience") as Dictionary<string, object?>;
        var window = input.GetValueOrDefault("window") as Dictionary<string, object?>;
        var variants = (input.GetValueOrDefault("variants") as IEnumerable<object?>)?.Cast<Dictionary<string, object?>>()
            .Select(v => new VariantDraft((string)v["body"]!, v.GetValueOrDefault("weight") as int? ?? 1)).ToList();
        var followUps = (input.GetValueOrDefault("followUps") as IEnumerable<object?>)?.Cast<Dictionary<string, object?>>()
            .Select(f => new FollowUpDraft((string)f["body"]!, f.GetValueOrDefault("afterDays") as int?, f.GetValueOrDefault("afterHours") as int?)).ToList();
        return new CampaignDraft(
            Name: input.GetValueOrDefault("name") as string,
            AudienceFilter: audience is null ? null : Filter(audience, schema),
            ListId: audience is null ? null : Id(audience, "listId", "ContactList"),
            PhoneNumberId: Id(input, "phoneNumberId", "PhoneNumber"),
            ConsentAttested: input.GetValueOrDefault("consentAttested") as bool?,
            DailyCap: input.GetValueOrDefault("dailyCap") as int?,
            PerMinute: input.GetValueOrDefault("perMinute") as int?,
            WindowStart: window?.GetValueOrDefault("start") as string,
            WindowEnd: window?.GetValueOrDefault("end") as string,
            WindowDays: (window?.GetValueOrDefault("days") as IEnumerable<object?>)?.Cast<int>().ToList(),
            Variants: variants,
            MinSample: input.GetValueOrDefault("minSample") as int?,
            Confidence: input.GetValueOrDefault("confidence") as double?,
            AutoWinner: input.GetValueOrDefault("autoWinner") as bool?,
            Recurrence: input.TryGetValue("recurrence", out var recurrence) ? Recurrence(recurrence as Dictionary<string, object?>) : null,
            FollowUps: followUps);
    }

    /// <summary>An explicit null stops the recurrence.</summary>
    private static RecurrenceDraft Recurrence(Dictionary<string, object?>? recurrence) => recurrence is null
        ? RecurrenceDraft.None
        : new RecurrenceDraft(
            (RecurrenceFrequency)recurrence["frequency"]!,
            (recurrence.GetValueOrDefault("days") as IEnumerable<object?>)?.Cast<int>().ToList() ?? [],
            recurrence.GetValueOrDefault("until") as DateTimeOffset?,
            recurrence.GetValueOrDefault("includePreviouslyTexted") as bool? ?? false);

    /// <summary>The <c>where</c> of an audience as JSON, or null when none was given.</summary>
    public static string? Filter(Dictionary<string, object?> audience, ISchema schema) =>
        audience.GetValueOrDefault("where") is IDictionary<string, object?> where ? ContactFilterJson.Write(where, schema) : null;

    public static Guid? Id(Dictionary<string, object?> input, string field, string typeName) =>
        input.GetValueOrDefault(field) is string id ? NodeId.Decode(id, typeName) : null;
}

/// <summary>The settings of a campaign, shared by create and update.</summary>
internal abstract class CampaignSettingsInputType : InputObjectGraphType
{
    protected CampaignSettingsInputType(string name, string description, bool create)
    {
        Name = name;
        Description = description;
        if (create)
        {
            Field<NonNullGraphType<StringGraphType>>("name").Description("Its name.");
        }
        else
        {
            Field<NonNullGraphType<IdGraphType>>("id").Description("The campaign's global id.");
            Field<StringGraphType>("name").Description("Its name.");
        }

        Field<CampaignAudienceInputType>("audience").Description("Who it texts: a contact filter, a list, or the list's contacts the filter keeps.");
        Field<IdGraphType>("phoneNumberId").Description("The line it sends from; by default the default line.");
        Field<BooleanGraphType>("consentAttested").Description("You attest that contacts with no consent on record gave it; without this they are skipped.");
        Field<IntGraphType>("dailyCap").Description("At most this many of its texts a day (the line's Campaigns:DailyCap applies too).");
        Field<IntGraphType>("perMinute").Description("At most this many texts a minute; default Campaigns:PerMinute.");
        Field<SendWindowInputType>("window").Description("When in the business's day it sends; default Campaigns:WindowStart–WindowEnd on Campaigns:WindowDays.");
        Field<ListGraphType<NonNullGraphType<CampaignVariantInputType>>>("variants").Description("One to five texts; two or more make an A/B test. On update, the n-th replaces variant n.");
        Field<IntGraphType>("minSample").Description("Sends per variant before the A/B test is read (default 100).");
        Field<FloatGraphType>("confidence").Description("The confidence at which a variant wins (default 0.95).");
        Field<BooleanGraphType>("autoWinner").Description("Once a variant wins on reply rate, send it to the rest.");
        Field<ListGraphType<NonNullGraphType<FollowUpStepInputType>>>("followUps")
            .Description($"Up to {CampaignOperations.MaxFollowUps} texts that follow the campaign's, each after the one before, until the contact replies; [] removes them. A started campaign keeps their number and delays.");
        Field<CampaignRecurrenceInputType>("recurrence")
            .Description("Makes it recur: scheduled, each run is a campaign of its own (runs) with these settings; null stops it recurring. Only before it starts.");
    }
}

internal sealed class FollowUpStepInputType : InputObjectGraphType
{
    public FollowUpStepInputType()
    {
        Name = "FollowUpStepInput";
        Description = "A follow-up: its text, sent afterDays or afterHours (one of them) after the text before it to each recipient who has not replied or opted out since.";
        Field<IntGraphType>("afterDays").Description("Days after the text before it was sent (1–60).");
        Field<IntGraphType>("afterHours").Description("Or hours (1–1440).");
        Field<NonNullGraphType<StringGraphType>>("body").Description("The template, as a variant's.");
    }
}

internal sealed class CampaignRecurrenceInputType : InputObjectGraphType
{
    public CampaignRecurrenceInputType()
    {
        Name = "CampaignRecurrenceInput";
        Description = "How a campaign recurs: at its start's local time of day in its time zone (scheduleCampaign's, or Crm:BusinessTimeZone).";
        Field<NonNullGraphType<RecurrenceFrequencyType>>("frequency").Description("Every day, every week on days, or every month on the start's day of the month.");
        Field<ListGraphType<NonNullGraphType<IntGraphType>>>("days").Description("WEEKLY: the ISO days it runs on, 1 Monday … 7 Sunday.");
        Field<DateTimeType>("until").Description("No run starts after this instant; after its last run the campaign is COMPLETED.");
        Field<BooleanGraphType>("includePreviouslyTexted").Description("Runs text contacts earlier runs texted too; by default they are skipped as ALREADY_TEXTED.");
    }
}

internal sealed class CreateCampaignInputType() : CampaignSettingsInputType("CreateCampaignInput", "A new campaign.", create: true);

internal sealed class UpdateCampaignInputType() : CampaignSettingsInputType("UpdateCampaignInput", "The settings to change; omitted ones stay.", create: false);

internal sealed class CampaignAudienceInputType : InputObjectGraphType
{
    public CampaignAudienceInputType()
    {
        Name = "CampaignAudienceInput";
        Description = "A saved contact filter, evaluated when the campaign starts, and/or a contact list.";
        Field<ContactFilterInputType>("where").Description("The same filter as contacts(where:).");
        Field<IdGraphType>("listId").Description("A contact list's global id.");
    }
}

internal sealed class SendWindowInputType : InputObjectGraphType
{
    public SendWindowInputType()
    {
        Name = "SendWindowInput";
        Description = "A daily window in the business time zone.";
        Field<StringGraphType>("start").Description("Opens at, HH:mm.");
        Field<StringGraphType>("end").Description("Closes at, HH:mm.");
        Field<ListGraphType<NonNullGraphType<IntGraphType>>>("days").Description("ISO days: 1 Monday … 7 Sunday.");
    }
}

internal sealed class CampaignVariantInputType : InputObjectGraphType
{
    public CampaignVariantInputType()
    {
        Name = "CampaignVariantInput";
        Description = "One text of a campaign.";
        Field<NonNullGraphType<StringGraphType>>("body").Description("The template: {firstName}, {lastName}, {company}, {city}, custom fields, with fallbacks as {firstName|there}.");
        Field<IntGraphType>("weight").Description("Its share of the audience against the others' weights (default 1).");
    }
}

internal sealed class CampaignIdInputType : InputObjectGraphType
{
    public CampaignIdInputType()
    {
        Name = "CampaignIdInput";
        Description = "The campaign to act on.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The campaign's global id.");
    }
}

internal sealed class ScheduleCampaignInputType : InputObjectGraphType
{
    public ScheduleCampaignInputType()
    {
        Name = "ScheduleCampaignInput";
        Description = "When the campaign starts.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The campaign's global id.");
        Field<NonNullGraphType<DateTimeType>>("startAt").Description("The start, as an instant (with its offset).");
        Field<StringGraphType>("timeZone").Description("The IANA zone the start was chosen in, shown back to staff.");
    }
}

internal sealed class AudiencePreviewInputType : InputObjectGraphType
{
    public AudiencePreviewInputType()
    {
        Name = "AudiencePreviewInput";
        Description = "An audience to preview.";
        Field<ContactFilterInputType>("where").Description("The same filter as contacts(where:).");
        Field<IdGraphType>("listId").Description("A contact list's global id.");
        Field<IdGraphType>("campaignId").Description("A campaign whose recipients already texted are counted as ALREADY_TEXTED; for a recurring one, those its next run would skip.");
        Field<BooleanGraphType>("consentAttested").Description("As the campaign would attest: contacts with no consent on record are then eligible.");
        Field<IntGraphType>("sample").Description("How many eligible contacts to show (default 10, at most 50).");
    }
}
