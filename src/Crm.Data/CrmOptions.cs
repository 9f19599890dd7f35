namespace Crm.Data;

/// <summary>Settings under <c>Crm</c>.</summary>
public sealed class CrmOptions
{
    public const string Section = "Crm";

    /// <summary>Apply pending migrations at start. Operators who migrate separately turn it off.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>Seed demo data into an empty database. Unset: on for the embedded default, off for PostgreSQL.</summary>
    public bool? SeedDemoData { get; set; }

    /// <summary>The embedded database file, relative to the content root.</summary>
    public string SqlitePath { get; set; } = "data/crm.db";

    /// <summary>The business's IANA zone: the recipient's when nothing better is known about them.</summary>
    public string BusinessTimeZone { get; set; } = "America/New_York";

    /// <summary>The first admin, created at start when no active admin exists.</summary>
    public AdminOptions Admin { get; set; } = new();
}

public sealed class AdminOptions
{
    public string? Email { get; set; }

    public string? Password { get; set; }
}
