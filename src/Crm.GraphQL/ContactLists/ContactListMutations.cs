using Crm.Data;
using Crm.Data.ContactLists;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.ContactLists;

/// <summary>Staff's changes to contact lists (<see cref="ContactListOperations"/>): marketers and up, each audited.</summary>
internal static class ContactListMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CreateContactListPayloadType>>("createContactList")
            .Description("Creates an empty contact list with a unique name. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<CreateContactListInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<CreateContactListInput>("input");
                return MutationConventions.RunAsync(async () => new Payload(await Lists(ctx).CreateAsync(input.Name, input.Description, ctx.Actor(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<UpdateContactListPayloadType>>("updateContactList")
            .Description("Renames a list or changes its description; omitted fields stay as they are. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<UpdateContactListInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<UpdateContactListInput>("input");
                var id = NodeId.Decode(input.Id, "ContactList");
                return MutationConventions.RunAsync(async () => new Payload(await Lists(ctx).UpdateAsync(id, input.Name, input.Description, ctx.Actor(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<DeleteContactListPayloadType>>("deleteContactList")
            .Description("Deletes a list; its contacts stay. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<DeleteContactListInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<DeleteContactListInput>("input").Id, "ContactList");
                return MutationConventions.RunAsync(async () => new Payload(await Lists(ctx).DeleteAsync(id, ctx.Actor(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<AddToContactListPayloadType>>("addToContactList")
            .Description("Adds contacts to a list, by ids or by the filter of contacts(where:) — in one statement, however many match. Contacts already in the list stay as they are, so adding twice adds nothing. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<AddToContactListInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<AddToContactListInput>("input");
                var listId = NodeId.Decode(input.ListId, "ContactList");
                var ids = input.ContactIds?.Select(id => NodeId.Decode(id, "Contact")).ToHashSet();
                return MutationConventions.RunAsync(async () =>
                {
                    var lists = Lists(ctx);
                    var change = (ids, input.Where) switch
                    {
                        (null, null) or (not null, not null) => throw new InvalidFieldException("contactIds", "Give either contactIds or where."),
                        (not null, _) => await lists.AddAsync(listId, ids, ctx.Actor(), ctx.CancellationToken),
                        (_, { } where) => await lists.AddAsync(listId, await ContactAudience.QueryAsync(Db(ctx), where, null, ctx.CancellationToken), ctx.Actor(), ctx.CancellationToken),
                    };
                    return new Payload(change, null);
                });
            });

        mutation.Field<NonNullGraphType<RemoveFromContactListPayloadType>>("removeFromContactList")
            .Description("Removes contacts from a list; the contacts stay, and one that is not in the list is passed over. Audited.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<RemoveFromContactListInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<RemoveFromContactListInput>("input");
                var listId = NodeId.Decode(input.ListId, "ContactList");
                var ids = input.ContactIds.Select(id => NodeId.Decode(id, "Contact")).ToHashSet();
                return MutationConventions.RunAsync(async () => new Payload(await Lists(ctx).RemoveAsync(listId, ids, ctx.Actor(), ctx.CancellationToken), null));
            });
    }

    private static ContactListOperations Lists(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<ContactListOperations>();

    private static CrmDbContext Db(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<CrmDbContext>();
}

internal sealed record CreateContactListInput(string Name, string? Description);

internal sealed record UpdateContactListInput(string Id, string? Name, string? Description);

internal sealed record DeleteContactListInput(string Id);

internal sealed record AddToContactListInput(string ListId, List<string>? ContactIds, Dictionary<string, object?>? Where);

internal sealed record RemoveFromContactListInput(string ListId, List<string> ContactIds);

internal sealed class CreateContactListInputType : InputObjectGraphType<CreateContactListInput>
{
    public CreateContactListInputType()
    {
        Name = "CreateContactListInput";
        Description = "A new, empty contact list.";
        Field(x => x.Name).Description($"Unique; at most {ContactList.MaxNameLength} characters, trimmed.");
        Field(x => x.Description, nullable: true).Description($"What the list is for; at most {ContactList.MaxDescriptionLength} characters.");
    }
}

internal sealed class UpdateContactListInputType : InputObjectGraphType<UpdateContactListInput>
{
    public UpdateContactListInputType()
    {
        Name = "UpdateContactListInput";
        Description = "Changes to a contact list. Omitted fields stay as they are.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The list to change.");
        Field(x => x.Name, nullable: true).Description("The new name; unique.");
        Field(x => x.Description, nullable: true).Description("The new description; an empty string clears it.");
    }
}

internal sealed class DeleteContactListInputType : InputObjectGraphType<DeleteContactListInput>
{
    public DeleteContactListInputType()
    {
        Name = "DeleteContactListInput";
        Description = "The list to delete; its contacts stay.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The list to delete.");
    }
}

internal sealed class AddToContactListInputType : InputObjectGraphType<AddToContactListInput>
{
    public AddToContactListInputType()
    {
        Name = "AddToContactListInput";
        Description = "The contacts to add: contactIds or where, not both.";
        Field(x => x.ListId, type: typeof(NonNullGraphType<IdGraphType>)).Description("The list.");
        Field(x => x.ContactIds, type: typeof(ListGraphType<NonNullGraphType<IdGraphType>>)).Description("These contacts; an id of no contact adds nothing and is a NotFoundError.");
        Field(x => x.Where, type: typeof(ContactFilterInputType)).Description("Every contact that contacts(where:) lists with this filter.");
    }
}

internal sealed class RemoveFromContactListInputType : InputObjectGraphType<RemoveFromContactListInput>
{
    public RemoveFromContactListInputType()
    {
        Name = "RemoveFromContactListInput";
        Description = "The contacts to take out of a list.";
        Field(x => x.ListId, type: typeof(NonNullGraphType<IdGraphType>)).Description("The list.");
        Field(x => x.ContactIds, type: typeof(NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>)).Description("The contacts to remove.");
    }
}
