using Crm.Data.Audit;
using Crm.Data.Users;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using GraphQL.Types;

namespace Crm.GraphQL.Users;

internal sealed class CrmRoleType : EnumerationGraphType<CrmRole>
{
    public CrmRoleType()
    {
        Name = "Role";
        Description = "VIEWER reads. MARKETER also works contacts, conversations and campaigns. ADMIN also manages users, keys and operations.";
    }
}

internal sealed class UserType : ObjectGraphType<CrmUser>
{
    public UserType()
    {
        Name = "User";
        Description = "A member of staff who signs in to the admin page.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field<NonNullGraphType<StringGraphType>>("email").Description("Sign-in email.").Resolve(ctx => ctx.Source.Email);
        Field(x => x.DisplayName).Description("Name shown to colleagues.");
        Field(x => x.Role, type: typeof(NonNullGraphType<CrmRoleType>)).Description("What the user may do.");
        Field(x => x.IsActive).Description("Inactive users cannot sign in; their sessions end at once.");
        Field(x => x.CreatedAt).Description("When the account was created.");
        Field(x => x.LastLoginAt, nullable: true).Description("The last successful sign-in.");
    }
}

internal sealed class InvitationType : ObjectGraphType<Invitation>
{
    public InvitationType()
    {
        Name = "Invitation";
        Description = "A single-use invitation to create an account.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Email).Description("Who is invited.");
        Field(x => x.Role, type: typeof(NonNullGraphType<CrmRoleType>)).Description("The role the account will have.");
        Field(x => x.ExpiresAt).Description("The invitation cannot be used after this.");
    }
}

internal sealed class ApiKeyType : ObjectGraphType<ApiKey>
{
    public ApiKeyType()
    {
        Name = "ApiKey";
        Description = "An integrator's key. The secret is shown only once, when the key is created.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.Name).Description("What the key is for.");
        Field(x => x.Role, type: typeof(NonNullGraphType<CrmRoleType>)).Description("What the key may do.");
        Field(x => x.Prefix).Description("The key's public part (crm_<prefix>_…), to tell keys apart in logs and lists.");
        Field(x => x.CreatedAt).Description("When the key was created.");
        Field(x => x.LastUsedAt, nullable: true).Description("When the key was last used (to the minute).");
        Field(x => x.RevokedAt, nullable: true).Description("When the key was revoked; a revoked key is refused.");
    }
}

internal sealed class AuditEntryType : ObjectGraphType<AuditEntry>
{
    public AuditEntryType()
    {
        Name = "AuditEntry";
        Description = "A security-relevant fact: who did what, when, from where.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("Opaque global id.").Resolve(ctx => NodeId.Encode(Name, ctx.Source.Id));
        Field(x => x.At).Description("When it happened.");
        Field(x => x.Action).Description("What happened, e.g. login.failed, user.role_changed, apikey.revoked.");
        Field<NonNullGraphType<StringGraphType>>("actorKind").Description("USER, API_KEY, SYSTEM or ANONYMOUS.").Resolve(ctx => ctx.Source.ActorKind switch
        {
            AuditActorKind.ApiKey => "API_KEY",
            var kind => kind.ToString().ToUpperInvariant(),
        });
        Field(x => x.ActorName, nullable: true).Description("The user's email or the key's name at the time.");
        Field(x => x.Target, nullable: true).Description("What it was done to.");
        Field(x => x.Details, nullable: true).Description("More about it.");
        Field(x => x.IpAddress, nullable: true).Description("Where the request came from.");
    }
}

/// <summary>Who is calling: a signed-in user or an API key.</summary>
internal sealed record Me(Guid Id, string Kind, string? Email, string DisplayName, CrmRole Role);

internal sealed class MeType : ObjectGraphType<Me>
{
    public MeType()
    {
        Name = "Me";
        Description = "The caller: a signed-in user or an API key.";
        Field<NonNullGraphType<IdGraphType>>("id").Description("The user's or key's global id.").Resolve(ctx => NodeId.Encode(ctx.Source.Kind == "USER" ? "User" : "ApiKey", ctx.Source.Id));
        Field(x => x.Kind).Description("USER or API_KEY.");
        Field(x => x.Email, nullable: true).Description("The user's email; null for a key.");
        Field(x => x.DisplayName).Description("The user's name or the key's name.");
        Field(x => x.Role, type: typeof(NonNullGraphType<CrmRoleType>)).Description("What the caller may do.");
    }
}

internal sealed class UsersConnectionType() : ConnectionGraphType<UserType, CrmUser>("Users", "A page of users, by email.");

internal sealed class ApiKeysConnectionType() : ConnectionGraphType<ApiKeyType, ApiKey>("ApiKeys", "A page of API keys, newest first.");

internal sealed class AuditLogConnectionType() : ConnectionGraphType<AuditEntryType, AuditEntry>("AuditLog", "A page of the audit log, newest first.");
