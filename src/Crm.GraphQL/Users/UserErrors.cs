using Crm.Data;
using Crm.GraphQL.Schema;
using Crm.GraphQL.Server.Conventions;
using GraphQL.Types;

namespace Crm.GraphQL.Users;

internal sealed class DuplicateUserErrorType : ErrorGraphType<DuplicateUserException>
{
    public DuplicateUserErrorType()
        : base("DuplicateUserError", "A user with this email already exists.")
    {
        Field(x => x.Email).Description("The email in use.");
    }
}

internal sealed class InvalidInvitationErrorType()
    : ErrorGraphType<InvalidInvitationException>("InvalidInvitationError", "The invitation is unknown, expired or already used.");

internal sealed class PasswordRejectedErrorType : ErrorGraphType<PasswordRejectedException>
{
    public PasswordRejectedErrorType()
        : base("PasswordRejectedError", "The password does not meet the policy (at least 12 characters with upper and lower case letters and a digit).")
    {
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("reasons").Description("Each rule the password breaks.").Resolve(ctx => ctx.Source.Reasons);
    }
}

internal sealed class LastAdminErrorType()
    : ErrorGraphType<LastAdminException>("LastAdminError", "The change would leave no active admin.");

internal sealed class InviteUserErrorType() : ErrorUnionGraphType("InviteUserError", typeof(DuplicateUserErrorType), typeof(InvalidFieldErrorType));

internal sealed class AcceptInvitationErrorType()
    : ErrorUnionGraphType("AcceptInvitationError", typeof(InvalidInvitationErrorType), typeof(PasswordRejectedErrorType), typeof(DuplicateUserErrorType));

internal sealed class UpdateUserErrorType() : ErrorUnionGraphType("UpdateUserError", typeof(NotFoundErrorType), typeof(LastAdminErrorType));

internal sealed class CreateApiKeyErrorType() : ErrorUnionGraphType("CreateApiKeyError", typeof(InvalidFieldErrorType));

internal sealed class RevokeApiKeyErrorType() : ErrorUnionGraphType("RevokeApiKeyError", typeof(NotFoundErrorType));

internal sealed class InviteUserPayloadType : PayloadGraphType<InvitationType, InviteUserErrorType>
{
    public InviteUserPayloadType()
        : base("InviteUserPayload", "invitation", "The invitation.")
    {
        Field<StringGraphType>("inviteLink")
            .Description("Give this link to the invitee; it is shown only now. Valid for 7 days, once.")
            .Resolve(ctx => ctx.Source.Secret is { } token ? $"/admin/#/accept-invitation?token={token}" : null);
    }
}

internal sealed class AcceptInvitationPayloadType() : PayloadGraphType<UserType, AcceptInvitationErrorType>("AcceptInvitationPayload", "user", "The new account; sign in with it at /auth/login.");

internal sealed class UpdateUserPayloadType() : PayloadGraphType<UserType, UpdateUserErrorType>("UpdateUserPayload", "user", "The user as changed.");

internal sealed class CreateApiKeyPayloadType : PayloadGraphType<ApiKeyType, CreateApiKeyErrorType>
{
    public CreateApiKeyPayloadType()
        : base("CreateApiKeyPayload", "apiKey", "The new key.")
    {
        Field<StringGraphType>("key")
            .Description("The secret to send as 'Authorization: Bearer <key>'. Shown only now; it cannot be retrieved later.")
            .Resolve(ctx => ctx.Source.Secret);
    }
}

internal sealed class RevokeApiKeyPayloadType() : PayloadGraphType<ApiKeyType, RevokeApiKeyErrorType>("RevokeApiKeyPayload", "apiKey", "The revoked key.");
