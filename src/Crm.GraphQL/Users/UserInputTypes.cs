using Crm.Data.Users;
using GraphQL.Types;

namespace Crm.GraphQL.Users;

internal sealed record InviteUserInput(string Email, CrmRole Role);

internal sealed record AcceptInvitationInput(string Token, string Password, string? DisplayName);

internal sealed record UpdateUserInput(string Id, CrmRole? Role, bool? IsActive, string? DisplayName);

internal sealed record CreateApiKeyInput(string Name, CrmRole Role);

internal sealed record IdInput(string Id);

internal sealed class InviteUserInputType : InputObjectGraphType<InviteUserInput>
{
    public InviteUserInputType()
    {
        Name = "InviteUserInput";
        Description = "Who to invite and as what.";
        Field(x => x.Email).Description("The invitee's email; it becomes their sign-in.");
        Field(x => x.Role, type: typeof(NonNullGraphType<CrmRoleType>)).Description("The role the account will have.");
    }
}

internal sealed class AcceptInvitationInputType : InputObjectGraphType<AcceptInvitationInput>
{
    public AcceptInvitationInputType()
    {
        Name = "AcceptInvitationInput";
        Description = "The token from the invitation link and the new account's password.";
        Field(x => x.Token).Description("The token from the invitation link.");
        Field(x => x.Password).Description("At least 12 characters with upper and lower case letters and a digit.");
        Field(x => x.DisplayName, nullable: true).Description("Name shown to colleagues.");
    }
}

internal sealed class UpdateUserInputType : InputObjectGraphType<UpdateUserInput>
{
    public UpdateUserInputType()
    {
        Name = "UpdateUserInput";
        Description = "Changes to a user; omitted fields stay as they are.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The user to change.");
        Field(x => x.Role, type: typeof(CrmRoleType)).Description("A new role; takes effect at once.");
        Field(x => x.IsActive, nullable: true).Description("False ends the user's sessions and blocks sign-in.");
        Field(x => x.DisplayName, nullable: true).Description("A new display name.");
    }
}

internal sealed class CreateApiKeyInputType : InputObjectGraphType<CreateApiKeyInput>
{
    public CreateApiKeyInputType()
    {
        Name = "CreateApiKeyInput";
        Description = "A new integrator key.";
        Field(x => x.Name).Description("What the key is for, e.g. 'Zapier'.");
        Field(x => x.Role, type: typeof(NonNullGraphType<CrmRoleType>)).Description("What the key may do.");
    }
}

internal sealed class RevokeApiKeyInputType : InputObjectGraphType<IdInput>
{
    public RevokeApiKeyInputType()
    {
        Name = "RevokeApiKeyInput";
        Description = "The key to revoke.";
        Field(x => x.Id, type: typeof(NonNullGraphType<IdGraphType>)).Description("The key's id.");
    }
}
