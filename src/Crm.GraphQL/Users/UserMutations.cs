using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL;
using GraphQL.Types;

namespace Crm.GraphQL.Users;

internal static class UserMutations
{
    public static void Register(ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<InviteUserPayloadType>>("inviteUser")
            .Description("Invites a colleague: returns a single-use link, valid 7 days, that lets them set a password. No mail is sent.")
            .RequireRole(CrmRole.Admin)
            .Argument<NonNullGraphType<InviteUserInputType>>("input")
            .ResolveAsync(ctx => MutationConventions.RunAsync(async () =>
            {
                var input = ctx.GetArgument<InviteUserInput>("input");
                var (invitation, token) = await Users(ctx).InviteAsync(input.Email, input.Role, ctx.Actor());
                return new Payload(invitation, null, token);
            }));

        mutation.Field<NonNullGraphType<AcceptInvitationPayloadType>>("acceptInvitation")
            .Description("Creates the invited account with its password. Public: the invitation token is the credential.")
            .Public()
            .Argument<NonNullGraphType<AcceptInvitationInputType>>("input")
            .ResolveAsync(ctx => MutationConventions.RunAsync(async () =>
            {
                var input = ctx.GetArgument<AcceptInvitationInput>("input");
                return new Payload(await Users(ctx).AcceptInvitationAsync(input.Token, input.Password, input.DisplayName, ctx.Actor()), null);
            }));

        mutation.Field<NonNullGraphType<UpdateUserPayloadType>>("updateUser")
            .Description("Changes a user's role, active flag or name. Their sessions and open subscriptions end at once, so a demotion takes effect immediately.")
            .RequireRole(CrmRole.Admin)
            .Argument<NonNullGraphType<UpdateUserInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var input = ctx.GetArgument<UpdateUserInput>("input");
                var id = NodeId.Decode(input.Id, "User");
                return MutationConventions.RunAsync(async () =>
                    new Payload(await Users(ctx).UpdateAsync(id, input.Role, input.IsActive, input.DisplayName, ctx.Actor()), null));
            });

        mutation.Field<NonNullGraphType<CreateApiKeyPayloadType>>("createApiKey")
            .Description("Creates an integrator key. The key is returned once and stored only as a hash.")
            .RequireRole(CrmRole.Admin)
            .Argument<NonNullGraphType<CreateApiKeyInputType>>("input")
            .ResolveAsync(ctx => MutationConventions.RunAsync(async () =>
            {
                var input = ctx.GetArgument<CreateApiKeyInput>("input");
                var (key, secret) = await Keys(ctx).CreateAsync(input.Name, input.Role, ctx.Actor());
                return new Payload(key, null, secret);
            }));

        mutation.Field<NonNullGraphType<RevokeApiKeyPayloadType>>("revokeApiKey")
            .Description("Revokes a key: it is refused from the next request on, and its open subscriptions end at once.")
            .RequireRole(CrmRole.Admin)
            .Argument<NonNullGraphType<RevokeApiKeyInputType>>("input")
            .ResolveAsync(ctx =>
            {
                var id = NodeId.Decode(ctx.GetArgument<IdInput>("input").Id, "ApiKey");
                return MutationConventions.RunAsync(async () => new Payload(await Keys(ctx).RevokeAsync(id, ctx.Actor()), null));
            });
    }

    private static UserOperations Users(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<UserOperations>();

    private static ApiKeyOperations Keys(IResolveFieldContext ctx) => ctx.RequestServices!.GetRequiredService<ApiKeyOperations>();
}
