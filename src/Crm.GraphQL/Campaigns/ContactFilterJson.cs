using Crm.Data;
using Crm.Data.Campaigns;
using Crm.Data.Contacts;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Server.Execution;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Campaigns;

/// <summary>
/// A campaign's saved audience: the <c>ContactFilterInput</c> it was given, kept as the JSON a client would send, and
/// read back through <c>contacts(where:)</c>'s own argument coercion and filter, so it means what it meant in the list.
/// </summary>
internal sealed class ContactFilterJson(ArgumentCoercion coercion) : IContactFilterReader
{
    public static string Write(IDictionary<string, object?> where, ISchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        schema.Initialize();
        return InputJson.Write(where, schema.AllTypes["ContactFilterInput"]!)!.ToJsonString();
    }

    public async Task<IQueryable<Contact>> ApplyAsync(IQueryable<Contact> contacts, string filterJson, CancellationToken cancellationToken)
    {
        var arguments = await coercion.CoerceAsync("contacts", new Dictionary<string, string?> { ["where"] = filterJson }, cancellationToken);
        if (arguments.Errors.Count > 0)
        {
            throw new InvalidFieldException("audience.where", $"The audience filter is not a valid ContactFilterInput: {arguments.Errors[0].Message}");
        }

        try
        {
            return ConnectionFields.FilterAndOrder(contacts, arguments.Get<IDictionary<string, object?>>("where"), null,
                ContactFilters.Filter, ContactFilters.Sort, ContactFilters.DefaultOrder, ContactFilters.Tiebreak).Rows;
        }
        catch (ExecutionError ex)
        {
            // A value the filter itself refuses, such as the global id of another type.
            throw new InvalidFieldException("audience.where", ex.Message);
        }
    }
}
