using Crm.Data.Consent;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;

namespace Crm.GraphQL.Consent;

internal sealed class SmsConsentType : ObjectGraphType<SmsConsent>
{
    public SmsConsentType()
    {
        Name = "SmsConsent";
        Description = "A contact's consent to texts, derived from the newest entry of its consent ledger.";
        Field(x => x.Status, type: typeof(NonNullGraphType<SmsConsentStatusType>)).Description("UNKNOWN until the ledger says otherwise.");
        Field(x => x.Since, nullable: true).Description("When the contact gave or withdrew it.");
        Field(x => x.Source, type: typeof(ConsentSourceType)).Description("How the newest entry came about.");
    }
}

internal sealed class ConsentEntryType : ObjectGraphType<ConsentEntry>
{
    public ConsentEntryType()
    {
        Name = "ConsentEntry";
        Description = "One fact of a contact's consent ledger, never changed or removed.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Status, type: typeof(NonNullGraphType<ConsentStatusType>)).Description("OPTED_IN or OPTED_OUT.");
        Field(x => x.Source, type: typeof(NonNullGraphType<ConsentSourceType>)).Description("How it came about.");
        Field(x => x.At).Description("When the contact gave or withdrew consent.");
        Field(x => x.RecordedAt).Description("When the CRM recorded it.");
        Field<IdGraphType>("activityId").Description("The text that carried it (an Activity's global id).")
            .Resolve(ctx => ctx.Source.ActivityId is { } id ? NodeId.Encode("Activity", id) : null);
        Field(x => x.Evidence, nullable: true).Description("The words of that text.");
        Field(x => x.ActorName, nullable: true).Description("Who recorded it: a staff member or an API key.");
        Field(x => x.Note, nullable: true).Description("What staff or the import said about it.");
    }
}

internal sealed class SmsConsentStatusType : EnumerationGraphType<SmsConsentStatus>
{
    public SmsConsentStatusType()
    {
        Name = "SmsConsentStatus";
        Description = "UNKNOWN: nothing recorded. OPTED_IN, OPTED_OUT: as the newest ledger entry says.";
    }
}

internal sealed class ConsentStatusType : EnumerationGraphType<ConsentStatus>
{
    public ConsentStatusType()
    {
        Name = "ConsentStatus";
        Description = "What a consent entry records.";
    }
}

internal sealed class ConsentSourceType : EnumerationGraphType<ConsentSource>
{
    public ConsentSourceType()
    {
        Name = "ConsentSource";
        Description = "KEYWORD (STOP, START …), FREE_TEXT (a detected opt-out), REVIEW (staff decided a held text), STAFF, IMPORT, API, PROVIDER (OpenPhone blocked the number).";
    }
}

internal sealed class ConsentEntriesConnectionType() : ConnectionGraphType<ConsentEntryType, ConsentEntry>("ConsentEntries", "A page of a consent ledger, newest first.");

/// <summary>A ledger is read newest first; it has nothing to filter yet.</summary>
internal static class ConsentFilters
{
    public static readonly FilterDefinition<ConsentEntry> Filter = new();

    public static readonly SortDefinition<ConsentEntry> Sort = new();

    public static readonly SortKey<ConsentEntry>[] DefaultOrder = [SortKey<ConsentEntry>.Desc(e => e.At), SortKey<ConsentEntry>.Desc(e => e.Id)];

    public static readonly SortKey<ConsentEntry> Tiebreak = SortKey<ConsentEntry>.Desc(e => e.Id);
}

/// <summary><c>contacts(where: { smsConsent: { status: { eq: OPTED_OUT } } })</c>.</summary>
internal static class SmsConsentFilters
{
    private static readonly Lazy<FilterDefinition<SmsConsent>> LazyFilter = new(() => new FilterDefinition<SmsConsent>()
        .Comparable("status", s => s.Status, typeof(SmsConsentStatusOperationFilterInputType), "UNKNOWN, OPTED_IN or OPTED_OUT.")
        .Comparable("since", s => s.Since, typeof(DateTimeOperationFilterInputType), "When it was given or withdrawn."));

    public static FilterDefinition<SmsConsent> Filter => LazyFilter.Value;
}

internal sealed class SmsConsentFilterInputType() : FilterInputGraphType<SmsConsent>("SmsConsentFilterInput", SmsConsentFilters.Filter);

internal sealed class SmsConsentStatusOperationFilterInputType() : EnumOperationFilterInputType<SmsConsentStatusType>("SmsConsentStatusOperationFilterInput");
