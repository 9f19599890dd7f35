using System.Security.Cryptography;
using System.Text;
using Crm.Data.Audit;
using Crm.Data.Events;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Users;

public enum LoginOutcome
{
    Succeeded,
    Failed,
    LockedOut,
}

public sealed record LoginResult(LoginOutcome Outcome, CrmUser? User);

/// <summary>Staff accounts. Passwords, lockout and security stamps are ASP.NET Core Identity's.</summary>
/// <remarks>
/// Each method is one unit of work: Identity saves inside it, with the audit entries, in one transaction.
/// A create that races another of the same email loses on the unique user name and runs again, refused as a duplicate.
/// </remarks>
public sealed class UserOperations(CrmDbContext db, UnitOfWork work, UserManager<CrmUser> users, AuditLog audit, TimeProvider clock)
{
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    public Task<CrmUser> CreateAsync(string email, string password, string? displayName, CrmRole role, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(_ => CreateUserAsync(email, password, displayName, role, actor), CancellationToken.None);
    }

    private async Task<Change<CrmUser>> CreateUserAsync(string email, string password, string? displayName, CrmRole role, Actor actor)
    {
        var normalized = NormalizeEmail(email);
        if (await users.FindByEmailAsync(normalized) is not null)
        {
            throw new DuplicateUserException(normalized);
        }

        var user = new CrmUser
        {
            Email = normalized,
            UserName = normalized,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? normalized : displayName.Trim(),
            Role = role,
            CreatedAt = clock.GetUtcNow(),
            EmailConfirmed = true,
        };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            throw Rejected(created);
        }

        audit.Record(actor, "user.created", normalized, $"role={role}");
        return Change.Of(user);
    }

    /// <summary>True when at least one active admin exists: bootstrap creates the first one otherwise.</summary>
    public Task<bool> HasActiveAdminAsync(CancellationToken cancellationToken) =>
        db.Users.AnyAsync(u => u.Role == CrmRole.Admin && u.IsActive, cancellationToken);

    public Task<LoginResult> LoginAsync(string email, string password, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(async _ =>
        {
            var user = await users.FindByEmailAsync(NormalizeEmail(email));
            if (user is null || !user.IsActive)
            {
                audit.Record(actor with { Name = email.Trim() }, "login.failed", details: user is null ? "unknown user" : "inactive user");
                return Change.Of(new LoginResult(LoginOutcome.Failed, null));
            }

            var attempt = actor with { Kind = AuditActorKind.User, Id = user.Id, Name = user.Email };
            if (await users.IsLockedOutAsync(user))
            {
                audit.Record(attempt, "login.failed", details: "locked out");
                return Change.Of(new LoginResult(LoginOutcome.LockedOut, null));
            }

            if (!await users.CheckPasswordAsync(user, password))
            {
                await users.AccessFailedAsync(user);
                var locked = await users.IsLockedOutAsync(user);
                audit.Record(attempt, "login.failed", details: locked ? "wrong password; now locked out" : "wrong password");
                return Change.Of(new LoginResult(locked ? LoginOutcome.LockedOut : LoginOutcome.Failed, null));
            }

            await users.ResetAccessFailedCountAsync(user);
            user.LastLoginAt = clock.GetUtcNow();
            audit.Record(attempt, "login.succeeded");
            await users.UpdateAsync(user);
            return Change.Of(new LoginResult(LoginOutcome.Succeeded, user));
        }, CancellationToken.None);
    }

    /// <summary>Returns the invitation and its token; the token is never stored, so show it now.</summary>
    public Task<(Invitation Invitation, string Token)> InviteAsync(string email, CrmRole role, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(_ => InviteUserAsync(email, role, actor), CancellationToken.None);
    }

    private async Task<Change<(Invitation Invitation, string Token)>> InviteUserAsync(string email, CrmRole role, Actor actor)
    {
        var normalized = NormalizeEmail(email);
        if (await users.FindByEmailAsync(normalized) is not null)
        {
            throw new DuplicateUserException(normalized);
        }

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var invitation = new Invitation
        {
            Email = normalized,
            Role = role,
            TokenHash = Hash(token),
            CreatedById = actor.Id ?? Guid.Empty,
            CreatedAt = now,
            ExpiresAt = now + InvitationLifetime,
        };
        db.Invitations.Add(invitation);
        audit.Record(actor, "user.invited", normalized, $"role={role}");
        return Change.Of((invitation, token));
    }

    public Task<CrmUser> AcceptInvitationAsync(string token, string password, string? displayName, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(_ => AcceptAsync(token, password, displayName, actor), CancellationToken.None);
    }

    private async Task<Change<CrmUser>> AcceptAsync(string token, string password, string? displayName, Actor actor)
    {
        var hash = Hash(token ?? string.Empty);
        var now = clock.GetUtcNow();
        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.TokenHash == hash);
        if (invitation is null || invitation.AcceptedAt is not null || invitation.ExpiresAt <= now)
        {
            throw new InvalidInvitationException();
        }

        // Committed with the new user: a concurrent second use of the token loses on the unique user name, runs
        // again and finds the invitation used.
        invitation.AcceptedAt = now;
        var user = (await CreateUserAsync(invitation.Email, password, displayName, invitation.Role, actor with { Name = invitation.Email })).Value;
        audit.Record(actor with { Kind = AuditActorKind.User, Id = user.Id, Name = user.Email }, "invitation.accepted", user.Email);
        return Change.Of(user);
    }

    public Task<CrmUser> UpdateAsync(Guid id, CrmRole? role, bool? isActive, string? displayName, Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return work.RunAsync(_ => UpdateUserAsync(id, role, isActive, displayName, actor), CancellationToken.None);
    }

    private async Task<Change<CrmUser>> UpdateUserAsync(Guid id, CrmRole? role, bool? isActive, string? displayName, Actor actor)
    {
        var demoting = (role is { } r && r != CrmRole.Admin) || isActive == false;
        // Every active admin, locked in one order before anything is read: two demotions at once take turns, and the
        // second no longer counts the admin the first demoted. (Locking in any other order could deadlock them.)
        var admins = demoting
            ? await db.Users.Where(u => u.Role == CrmRole.Admin && u.IsActive).OrderBy(u => u.Id).Select(u => u.Id).ForUpdate().ToListAsync()
            : [];
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id) ?? throw new NotFoundException("User", id);
        if (demoting && admins.Contains(id) && !admins.Exists(a => a != id))
        {
            throw new LastAdminException();
        }

        if (role is { } newRole && newRole != user.Role)
        {
            audit.Record(actor, "user.role_changed", user.Email, $"{user.Role} -> {newRole}");
            user.Role = newRole;
        }

        if (isActive is { } active && active != user.IsActive)
        {
            audit.Record(actor, active ? "user.activated" : "user.deactivated", user.Email);
            user.IsActive = active;
        }

        if (!string.IsNullOrWhiteSpace(displayName))
        {
            user.DisplayName = displayName.Trim();
        }

        // A new stamp ends the user's existing sessions, and the event their open sockets and streams, so a demotion
        // takes effect at once.
        await users.UpdateSecurityStampAsync(user);
        return Change.Of(user, new AccessChanged(user.Id));
    }

    internal static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    internal static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    private static DomainException Rejected(IdentityResult result) =>
        result.Errors.Any(e => e.Code is "DuplicateUserName" or "DuplicateEmail")
            ? new DuplicateUserException(result.Errors.First().Description)
            : new PasswordRejectedException([.. result.Errors.Select(e => e.Description)]);
}
