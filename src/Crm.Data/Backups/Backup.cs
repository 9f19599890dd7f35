namespace Crm.Data.Backups;

/// <summary>One backup run: a database dump or a media copy, what it wrote and how it ended.</summary>
public sealed class Backup
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public BackupKind Kind { get; init; }

    /// <summary>What started it: the daily schedule, an admin (runBackup) or the <c>backup create</c> command.</summary>
    public BackupTrigger Trigger { get; init; }

    public BackupStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The dump's file name in Backups:Directory (and its key under Backups:S3:Prefix); null for a media run.</summary>
    public string? FileName { get; set; }

    /// <summary>The dump's size, or the bytes a media run copied.</summary>
    public long? SizeBytes { get; set; }

    /// <summary>SHA-256 of the dump file, lowercase hex.</summary>
    public string? Sha256 { get; set; }

    /// <summary>True once the dump is also in the S3 bucket.</summary>
    public bool Uploaded { get; set; }

    /// <summary>Media files copied by a media run (new content; a URL whose content was already kept counts as copied too).</summary>
    public int? MediaCopied { get; set; }

    /// <summary>Media URLs a media run could not fetch; each is tried again on the next run.</summary>
    public int? MediaFailed { get; set; }

    public string? Error { get; set; }

    /// <summary>When retention removed the dump (locally and from the bucket); the row stays as history.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}

public enum BackupKind
{
    Database,
    Media,
}

public enum BackupTrigger
{
    Schedule,
    Manual,
    Command,
}

public enum BackupStatus
{
    Running,
    Succeeded,
    Failed,
}

/// <summary>
/// One media URL an activity points at (an MMS picture, a recording, a voicemail) and the copy kept of it, as
/// Backups:Directory/media/&lt;sha256&gt;: OpenPhone's links expire, the copy does not. Many URLs may share one copy.
/// </summary>
public sealed class MediaCopy
{
    public required string Url { get; init; }

    /// <summary>The content's SHA-256, lowercase hex; null while it has never been fetched.</summary>
    public string? Sha256 { get; set; }

    public long? SizeBytes { get; set; }

    public string? ContentType { get; set; }

    public DateTimeOffset? CopiedAt { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset LastAttemptAt { get; set; }

    /// <summary>Why the last fetch failed; null once copied.</summary>
    public string? LastError { get; set; }
}
