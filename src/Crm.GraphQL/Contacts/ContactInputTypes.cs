using Crm.Data.Contacts;
using GraphQL.Types;

namespace Crm.GraphQL.Contacts;

internal class ContactInput
{
    public string? FirstName { get; set; }

    public string? LastName { get; set; }

    public string? Company { get; set; }

    public string? Email { get; set; }

    public string? Phone { get; set; }

    public string? TimeZone { get; set; }

    public List<string>? Tags { get; set; }

    public Address? Address { get; set; }

    public List<CustomFieldInput>? CustomFields { get; set; }

    public ContactChanges ToChanges() => new(
        FirstName, LastName, Company, Email, Phone, Address, TimeZone, Tags,
        CustomFields?.GroupBy(f => f.Key.Trim()).ToDictionary(g => g.Key, g => g.Last().Value));
}

internal sealed class UpdateContactInput : ContactInput
{
    public string Id { get; set; } = string.Empty;
}

internal sealed class DeleteContactInput
{
    public string Id { get; set; } = string.Empty;
}

internal sealed class CustomFieldInput
{
    public string Key { get; set; } = string.Empty;

    public string Value { get; set; } = string.Empty;
}

internal abstract class ContactInputGraphType<T> : InputObjectGraphType<T>
    where T : ContactInput
{
    protected ContactInputGraphType(string name, string description)
    {
        Name = name;
        Description = description;
        Field(x => x.FirstName, nullable: true).Description("Given name.");
        Field(x => x.LastName, nullable: true).Description("Family name.");
        Field(x => x.Company, nullable: true).Description("Company name.");
        Field(x => x.Email, nullable: true).Description("Email address; an empty string clears it.");
        Field(x => x.Phone, nullable: true).Description("Any common US format or E.164; stored as E.164. An empty string clears it.");
        Field(x => x.TimeZone, nullable: true).Description("IANA time zone such as America/New_York.");
        Field(x => x.Tags, nullable: true).Description("Replaces the contact's tags.");
        Field(x => x.Address, type: typeof(AddressInputType)).Description("Replaces the contact's address.");
        Field(x => x.CustomFields, type: typeof(ListGraphType<NonNullGraphType<CustomFieldInputType>>)).Description("Replaces the contact's custom fields.");
    }
}

internal sealed class CreateContactInputType() : ContactInputGraphType<ContactInput>("CreateContactInput", "A new contact. Every field is optional, but a contact needs a phone, an email or a name to be found again.");

internal sealed class UpdateContactInputType : ContactInputGraphType<UpdateContactInput>
{
    public UpdateContactInputType()
        : base("UpdateContactInput", "Changes to a contact. Omitted fields stay as they are.")
    {
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The contact to change.");
    }
}

internal sealed class DeleteContactInputType : InputObjectGraphType<DeleteContactInput>
{
    public DeleteContactInputType()
    {
        Name = "DeleteContactInput";
        Description = "The contact to delete, with its conversations and timeline.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The contact to delete.");
    }
}

internal sealed class AddressInputType : InputObjectGraphType<Address>
{
    public AddressInputType()
    {
        Name = "AddressInput";
        Description = "A postal address.";
        Field(x => x.Street, nullable: true).Description("Street and number.");
        Field(x => x.City, nullable: true).Description("City or town.");
        Field(x => x.State, nullable: true).Description("State or region.");
        Field(x => x.PostalCode, nullable: true).Description("ZIP or postal code.");
    }
}

internal sealed class CustomFieldInputType : InputObjectGraphType<CustomFieldInput>
{
    public CustomFieldInputType()
    {
        Name = "CustomFieldInput";
        Description = "One business-specific field.";
        Field(x => x.Key).Description("The field's name.");
        Field(x => x.Value).Description("The field's value.");
    }
}
