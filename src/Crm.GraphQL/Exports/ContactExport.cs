using System.Text.Encodings.Web;
using System.Text.Json;
using Crm.Data;
using Crm.Data.Contacts;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Exports;

/// <summary><c>GET /exports/contacts?where=…&amp;order=…</c>: the contacts <c>contacts(where:, order:)</c> lists, one row each.</summary>
internal static class ContactExport
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly ExportDefinition<Contact> Definition = new("contacts", "contacts", ["where", "order"], Columns(), Pages);

    private static CsvColumn<Contact>[] Columns() =>
    [
        new("ID", c => NodeId.Encode("Contact", c.Id)),
        new("First name", c => c.FirstName),
        new("Last name", c => c.LastName),
        new("Phone", c => Cells.Phone(c.Phone)),
        new("Email", c => c.Email),
        new("Company", c => c.Company),
        new("Street", c => c.Address.Street),
        new("City", c => c.Address.City),
        new("State", c => c.Address.State),
        new("ZIP", c => c.Address.PostalCode),
        new("Tags", c => string.Join(", ", c.Tags)),
        new("SMS consent", c => Cells.Name<Data.Consent.SmsConsentStatus>(c.SmsConsent.Status)),
        new("Consent since (UTC)", c => Cells.Time(c.SmsConsent.Since)),
        new("Source", c => Cells.Name<ContactSource>(c.Source)),
        new("Custom fields", c => c.CustomFields.Count == 0 ? null : JsonSerializer.Serialize(new SortedDictionary<string, string>(c.CustomFields, StringComparer.Ordinal), Json)),
        new("OpenPhone contact ID", c => c.OpenPhoneContactId),
        new("Created (UTC)", c => Cells.Time(c.CreatedAt)),
        new("Updated (UTC)", c => Cells.Time(c.UpdatedAt)),
    ];

    private static IAsyncEnumerable<IReadOnlyList<Contact>> Pages(HttpContext http, Server.Execution.CoercedArguments arguments)
    {
        var (rows, order) = ConnectionFields.FilterAndOrder(
            http.RequestServices.GetRequiredService<CrmDbContext>().Contacts.AsNoTracking(),
            arguments.Get<IDictionary<string, object?>>("where"),
            arguments.Get<IEnumerable<object?>>("order"),
            ContactFilters.Filter, ContactFilters.Sort, ContactFilters.DefaultOrder, ContactFilters.Tiebreak);
        return Keyset.PagesAsync(rows, order, ExportEndpoints.PageSize, http.RequestAborted);
    }
}
