using Crm.Data;
using Crm.Data.Contacts;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Consent;
using Crm.GraphQL.Conversations;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Contacts;

internal sealed class ContactType : ObjectGraphType<Contact>
{
    public ContactType()
    {
        Name = "Contact";
        Description = "A person or business the company talks to.";
        Interface<NodeInterfaceType>();
        this.Projected();
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Reads(x => x.Id).Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.FirstName, nullable: true).Description("Given name.");
        Field(x => x.LastName, nullable: true).Description("Family name.");
        Field(x => x.DisplayName).Description("The name to show: first and last name, else the formatted phone number.")
            .Reads(x => x.FirstName, x => x.LastName, x => x.Phone, x => x.Email);
        Field(x => x.Phone, nullable: true).Description("Mobile or main number in E.164 (+16175550123). Unique among contacts.");
        Field(x => x.Email, nullable: true).Description("Email address.");
        Field(x => x.Company, nullable: true).Description("Company name.");
        Field(x => x.Address, type: typeof(NonNullGraphType<AddressType>)).Description("Postal address; every part optional.");
        Field<NonNullGraphType<StringGraphType>>("timeZone")
            .Description("The contact's IANA time zone, for quiet hours: its own, else its address's state, else its number's, else the business's (see timeZoneSource).")
            .Resolve(ctx => Place(ctx).Zone.Id);
        Field<NonNullGraphType<TimeZoneSourceType>>("timeZoneSource").Description("Where timeZone came from.").Resolve(ctx => Place(ctx).Source);
        Field<NonNullGraphType<StringGraphType>>("localTime")
            .Description("The time now where the contact is, with its UTC offset: 2026-07-15T23:00:00-04:00 (the DateTime scalar would give it in UTC).")
            .Resolve(ctx =>
            {
                var now = ctx.RequestServices!.GetRequiredService<TimeProvider>().GetUtcNow();
                var local = now.ToOffset(Place(ctx).Zone.GetUtcOffset(NodaTime.Instant.FromDateTimeOffset(now)).ToTimeSpan());
                return local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
            });
        Field(x => x.Tags).Description("Free labels such as vip or lead.");
        Field(x => x.SmsConsent, type: typeof(NonNullGraphType<SmsConsentType>)).Description("Consent to texts, as the consent ledger stands.");
        Field<NonNullGraphType<ConsentEntriesConnectionType>>("consentHistory")
            .Description("The consent ledger's entries for this contact, newest first; nothing is ever removed from it.")
            .PagingArguments()
            .Reads(x => x.Id)
            .Resolve(ctx => ctx.PageByParent(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().ConsentEntries.AsNoTracking(), e => e.ContactId!.Value, ctx.Source.Id,
                ConsentFilters.Filter, ConsentFilters.Sort, ConsentFilters.DefaultOrder, ConsentFilters.Tiebreak));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<CustomFieldType>>>>("customFields")
            .Description("Business-specific fields as key/value pairs.")
            .Reads(x => x.CustomFields)
            .Resolve(ctx => ctx.Source.CustomFields.OrderBy(p => p.Key, StringComparer.Ordinal).ToList());
        Field(x => x.Source, type: typeof(NonNullGraphType<ContactSourceType>)).Description("How the contact entered the CRM.");
        Field(x => x.OpenPhoneContactId, nullable: true).Description("OpenPhone's id of the matching OpenPhone contact.");
        Field(x => x.CreatedAt).Description("When the contact was created.");
        Field(x => x.UpdatedAt).Description("When the contact was last changed.");
        Field<NonNullGraphType<ConversationsConnectionType>>("conversations")
            .Description("The contact's conversations, newest activity first unless ordered otherwise.")
            .PagingArguments()
            .FilterArguments(typeof(ConversationFilterInputType), typeof(ConversationSortInputType))
            .Reads(x => x.Id)
            .Resolve(ctx => ctx.PageByParent(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Conversations.AsNoTracking(), c => c.ContactId, ctx.Source.Id,
                ConversationFilters.Filter, ConversationFilters.Sort, ConversationQueries.InboxOrder, ConversationFilters.Tiebreak));
        Field<NonNullGraphType<ActivitiesConnectionType>>("activities")
            .Description("Everything with this contact across all lines, newest first unless ordered otherwise.")
            .PagingArguments()
            .FilterArguments(typeof(ActivityFilterInputType), typeof(ActivitySortInputType))
            .Reads(x => x.Id)
            .Resolve(ctx => ctx.PageByParent(
                ctx.RequestServices!.GetRequiredService<CrmDbContext>().Activities.AsNoTracking(), a => a.ContactId, ctx.Source.Id,
                ActivityFilters.Filter, ActivityFilters.Sort, ActivityFilters.DefaultOrder, ActivityFilters.Tiebreak));
    }

    /// <summary>Where the contact is: offline lookups on each read, no query.</summary>
    private static Crm.Data.Compliance.RecipientPlace Place(global::GraphQL.IResolveFieldContext<Contact> ctx) =>
        Crm.Data.Compliance.RecipientPlaces.Of(ctx.Source, ctx.RequestServices!.GetRequiredService<Crm.Data.Outbound.SendGate>().BusinessZone);
}

internal sealed class AddressType : ObjectGraphType<Address>
{
    public AddressType()
    {
        Name = "Address";
        Description = "A postal address.";
        Field(x => x.Street, nullable: true).Description("Street and number.");
        Field(x => x.City, nullable: true).Description("City or town.");
        Field(x => x.State, nullable: true).Description("State or region.");
        Field(x => x.PostalCode, nullable: true).Description("ZIP or postal code.");
    }
}

internal sealed class CustomFieldType : ObjectGraphType<KeyValuePair<string, string>>
{
    public CustomFieldType()
    {
        Name = "CustomField";
        Description = "One business-specific field of a contact.";
        Field(x => x.Key).Description("The field's name.");
        Field(x => x.Value).Description("The field's value.");
    }
}

internal sealed class ContactSourceType : EnumerationGraphType<ContactSource>
{
    public ContactSourceType()
    {
        Name = "ContactSource";
        Description = "How a contact entered the CRM.";
    }
}

internal sealed class ContactsConnectionType() : ConnectionGraphType<ContactType, Contact>("Contacts", "A page of contacts, newest first.");
