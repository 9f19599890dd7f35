using Crm.Data.ContactLists;
using Crm.GraphQL.Loading;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.ContactLists;

internal sealed class CreateContactListErrorType()
    : ErrorUnionGraphType("CreateContactListError", typeof(DuplicateContactListNameErrorType), typeof(InvalidFieldErrorType));

internal sealed class UpdateContactListErrorType()
    : ErrorUnionGraphType("UpdateContactListError", typeof(DuplicateContactListNameErrorType), typeof(InvalidFieldErrorType), typeof(NotFoundErrorType));

internal sealed class DeleteContactListErrorType() : ErrorUnionGraphType("DeleteContactListError", typeof(NotFoundErrorType));

internal sealed class AddToContactListErrorType() : ErrorUnionGraphType("AddToContactListError", typeof(NotFoundErrorType), typeof(InvalidFieldErrorType));

internal sealed class RemoveFromContactListErrorType() : ErrorUnionGraphType("RemoveFromContactListError", typeof(NotFoundErrorType));

internal sealed class CreateContactListPayloadType() : PayloadGraphType<ContactListType, CreateContactListErrorType>("CreateContactListPayload", "contactList", "The new list.");

internal sealed class UpdateContactListPayloadType() : PayloadGraphType<ContactListType, UpdateContactListErrorType>("UpdateContactListPayload", "contactList", "The list as changed.");

internal sealed class DeleteContactListPayloadType() : PayloadGraphType<ContactListType, DeleteContactListErrorType>("DeleteContactListPayload", "contactList", "The list as it was before deletion.");

internal sealed class AddToContactListPayloadType() : ContactListMembersPayloadType<AddToContactListErrorType>("AddToContactListPayload", "added", "Contacts added; those already in the list are not counted.");

internal sealed class RemoveFromContactListPayloadType() : ContactListMembersPayloadType<RemoveFromContactListErrorType>("RemoveFromContactListPayload", "removed", "Contacts removed.");

/// <summary>A change of a list's members: the list, and how many contacts it gained or lost (<see cref="ContactListChange"/>).</summary>
internal abstract class ContactListMembersPayloadType<TErrorUnion> : ObjectGraphType<Payload>
    where TErrorUnion : UnionGraphType
{
    protected ContactListMembersPayloadType(string name, string countField, string countDescription)
    {
        Name = name;
        Description = "The result of a mutation: the list and the count, or errors and no change.";
        Field<ContactListType>("contactList").Description("The list.").Resolve(ctx => (ctx.Source.Value as ContactListChange)?.List);
        Field<IntGraphType>(countField).Description(countDescription + " Null with errors.").Resolve(ctx => (ctx.Source.Value as ContactListChange)?.Count);
        Field<ListGraphType<NonNullGraphType<TErrorUnion>>>("errors").Description("Why nothing was written; null on success.").Resolve(ctx => ctx.Source.Errors);
    }
}

internal sealed class DuplicateContactListNameErrorType : ErrorGraphType<DuplicateContactListNameException>
{
    public DuplicateContactListNameErrorType()
        : base("DuplicateContactListNameError", "Another contact list already has this name.")
    {
        Field(x => x.Name).Description("The name asked for.");
        Field<NonNullGraphType<IdGraphType>>("existingListId").Description("The global id of the list that has it.").Resolve(ctx => NodeId.Encode("ContactList", ctx.Source.ExistingListId));
        Field<ContactListType>("existingList").Description("The list that has it.")
            .Resolve(ctx => ctx.RequestServices!.GetRequiredService<CrmLoaders>().ContactLists.Load(ctx.Source.ExistingListId));
    }
}
