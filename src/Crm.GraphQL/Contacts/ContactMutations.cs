using Crm.Data.Contacts;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Contacts;

internal static class ContactMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<CreateContactPayloadType>>("createContact")
            .Description("Creates a contact. A phone number is normalized to E.164 and must not belong to another contact.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<CreateContactInputType>>("input")
            .ResolveAsync(ctx => MutationConventions.RunAsync(async () =>
                new Payload(await Operations(ctx).CreateAsync(ctx.GetArgument<ContactInput>("input").ToChanges(), ContactSource.Api, ctx.CancellationToken), null)));

        mutation.Field<NonNullGraphType<UpdateContactPayloadType>>("updateContact")
            .Description("Changes a contact; omitted fields stay as they are.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<UpdateContactInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<UpdateContactInput>("input");
                var id = NodeId.Decode(input.Id, "Contact");
                return MutationConventions.RunAsync(async () => new Payload(await Operations(ctx).UpdateAsync(id, input.ToChanges(), ctx.CancellationToken), null));
            });

        mutation.Field<NonNullGraphType<DeleteContactPayloadType>>("deleteContact")
            .Description("Deletes a contact with its conversations and timeline.")
            .RequireRole(CrmRole.Marketer)
            .Argument<NonNullGraphType<DeleteContactInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<DeleteContactInput>("input").Id, "Contact");
                return MutationConventions.RunAsync(async () => new Payload(await Operations(ctx).DeleteAsync(id, ctx.CancellationToken), null));
            });
    }

    private static ContactOperations Operations(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<ContactOperations>();
}
