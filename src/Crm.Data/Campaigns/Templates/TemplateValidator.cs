using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Campaigns;

/// <summary>Checks a template body against the variables contacts actually have: the built-ins and every custom field in use.</summary>
public sealed class TemplateValidator(CrmDbContext db)
{
    /// <summary>
    /// The body parsed and checked; a syntax problem or an unknown variable is an <see cref="InvalidTemplateException"/>
    /// naming it, and an empty or over-long body the outbound pipe's own errors.
    /// </summary>
    public async Task<MessageTemplate> ParseAsync(string body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new EmptyMessageException();
        }

        if (body.Length > OutboundOptions.MaxBodyLength)
        {
            throw new MessageTooLongException(body.Length, OutboundOptions.MaxBodyLength);
        }

        var template = MessageTemplate.Parse(body);
        // Only a body with a variable that is not built in needs the custom fields, which cost a scan of the contacts.
        return template.Variables.All(MessageTemplate.BuiltIns.Contains) ? template : template.Validate(await CustomFieldsAsync(cancellationToken));
    }

    /// <summary>Every variable a template may use: the built-ins, then the custom fields in use.</summary>
    public async Task<IReadOnlyList<string>> KnownVariablesAsync(CancellationToken cancellationToken) =>
        MessageTemplate.Known(await CustomFieldsAsync(cancellationToken));

    /// <summary>The distinct custom field names on contacts, read from the JSON text column in SQL.</summary>
    /// <remarks>An empty object, <c>{}</c>, is 2 characters: its rows are passed over without parsing (no braces in the SQL, which EF Core reads as a format string).</remarks>
    public async Task<IReadOnlyList<string>> CustomFieldsAsync(CancellationToken cancellationToken)
    {
        var sql = db.Database.IsNpgsql()
            ? """SELECT DISTINCT jsonb_object_keys("CustomFields"::jsonb) AS "Value" FROM "Contacts" WHERE length("CustomFields") > 2"""
            : """SELECT DISTINCT j.key AS "Value" FROM "Contacts" AS c, json_each(c."CustomFields") AS j WHERE length(c."CustomFields") > 2""";
        return await db.Database.SqlQueryRaw<string>(sql).ToListAsync(cancellationToken);
    }
}
