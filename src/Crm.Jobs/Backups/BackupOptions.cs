namespace Crm.Jobs.Backups;

/// <summary>Backups of the database and of the media activities point at (production plan: backups with a tested restore).</summary>
public sealed class BackupOptions
{
    public const string Section = "Backups";

    /// <summary>Where dumps (and media/ copies) are written. Backups are off while it is unset, embedded or not.</summary>
    public string? Directory { get; set; }

    /// <summary>The UTC hour from which the day's backup runs; the hourly job runs it once a day across instances from then on.</summary>
    public int Hour { get; set; } = 3;

    /// <summary>The newest database backups of this many days are kept (one a day: the day's newest).</summary>
    public int KeepDaily { get; set; } = 7;

    /// <summary>And the newest of each of this many ISO weeks.</summary>
    public int KeepWeekly { get; set; } = 4;

    /// <summary>pg_dump, at least the server's major version; pg_restore is looked for beside it.</summary>
    public string PgDumpPath { get; set; } = "pg_dump";

    /// <summary>Copy media with the daily backup.</summary>
    public bool Media { get; set; } = true;

    /// <summary>Media downloads at once.</summary>
    public int MediaConcurrency { get; set; } = 4;

    /// <summary>A media file larger than this is not copied (recorded as failed).</summary>
    public long MediaMaxBytes { get; set; } = 200L * 1024 * 1024;

    public BackupBucketOptions S3 { get; set; } = new();

    public bool Enabled => !string.IsNullOrWhiteSpace(Directory);

    /// <summary>pg_restore beside <see cref="PgDumpPath"/>, or on PATH when that is a bare name.</summary>
    public string PgRestorePath => Path.GetDirectoryName(PgDumpPath) is { Length: > 0 } dir ? Path.Combine(dir, "pg_restore") : "pg_restore";
}

/// <summary>An S3-compatible bucket (DigitalOcean Spaces, MinIO, AWS) that receives a copy of each dump and media file.</summary>
public sealed class BackupBucketOptions
{
    /// <summary>The endpoint, e.g. https://nyc3.digitaloceanspaces.com; with <see cref="Bucket"/> it turns uploads on.</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    /// <summary>Key prefix for everything this system writes.</summary>
    public string Prefix { get; set; } = "crm-backups/";

    /// <summary>The signing region; Spaces accepts us-east-1 for every region.</summary>
    public string Region { get; set; } = "us-east-1";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(ServiceUrl) && !string.IsNullOrWhiteSpace(Bucket);
}
