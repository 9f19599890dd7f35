using Crm.Data;
using Crm.Data.Contacts;
using Crm.GraphQL.Schema;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Contacts;

internal static class ContactMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CreateContactPayloadType>>("createContact")
            .Description("Creates a contact. A phone number is normalized to E.164 and must not belong to another contact.")
            .Argument<NonNullGraphType<CreateContactInputType>>("input")
            .ResolveAsync(ctx => RunAsync(ctx, (ops, ct) => ops.CreateAsync(ctx.GetArgument<ContactInput>("input").ToChanges(), ContactSource.Api, ct)));

        mutation.Field<NonNullGraphType<UpdateContactPayloadType>>("updateContact")
            .Description("Changes a contact; omitted fields stay as they are.")
            .Argument<NonNullGraphType<UpdateContactInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<UpdateContactInput>("input");
                var id = NodeId.Decode(input.Id, "Contact");
                return RunAsync(ctx, (ops, ct) => ops.UpdateAsync(id, input.ToChanges(), ct));
            });

        mutation.Field<NonNullGraphType<DeleteContactPayloadType>>("deleteContact")
            .Description("Deletes a contact with its conversations and timeline.")
            .Argument<NonNullGraphType<DeleteContactInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<DeleteContactInput>("input").Id, "Contact");
                return RunAsync(ctx, (ops, ct) => ops.DeleteAsync(id, ct));
            });
    }

    /// <summary>Hot Chocolate's mutation convention: business failures become payload errors, not GraphQL errors.</summary>
    private static async Task<object?> RunAsync(IResolveFieldContext ctx, Func<ContactOperations, CancellationToken, Task<Contact>> operation)
    {
        try
        {
            var contact = await operation(ctx.RequestServices!.GetRequiredService<ContactOperations>(), ctx.CancellationToken);
            return new ContactPayload(contact, null);
        }
        catch (DomainException error)
        {
            return new ContactPayload(null, [error]);
        }
    }
}
