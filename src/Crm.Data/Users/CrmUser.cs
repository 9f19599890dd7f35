using Microsoft.AspNetCore.Identity;

namespace Crm.Data.Users;

/// <summary>A member of staff. Password hashing, lockout and security stamps are Identity's.</summary>
public sealed class CrmUser : IdentityUser<Guid>
{
    public CrmUser()
    {
        Id = Guid.CreateVersion7();
        SecurityStamp = Guid.NewGuid().ToString();
    }

    public string DisplayName { get; set; } = string.Empty;

    public CrmRole Role { get; set; } = CrmRole.Viewer;

    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastLoginAt { get; set; }
}

/// <summary>Ordered: each role may do everything the roles below it may.</summary>
public enum CrmRole
{
    /// <summary>Reads.</summary>
    Viewer = 0,

    /// <summary>Works contacts, conversations and campaigns.</summary>
    Marketer = 1,

    /// <summary>Manages users, keys and operations.</summary>
    Admin = 2,
}
