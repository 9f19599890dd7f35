namespace Crm.Data.Importing;

/// <summary>
/// One run of an importer (OpenPhone history, a CSV of contacts): what it is doing, how far it got and where to go on
/// from. Workers claim it with a lease; a worker that dies stops renewing, and another takes it on from its checkpoint.
/// </summary>
public sealed class ImportJob
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public ImportKind Kind { get; init; }

    public ImportStatus Status { get; set; } = ImportStatus.Queued;

    /// <summary>The importer's step in words ("conversations", "messages", "report"); for people, not for code.</summary>
    public string Phase { get; set; } = "queued";

    /// <summary>Items the run expects; null until it knows.</summary>
    public int? Total { get; set; }

    public int Done { get; set; }

    public int Failed { get; set; }

    /// <summary>What the run was asked to do, as the importer's own JSON (the CSV's mapping, the history's starting point).</summary>
    public string Options { get; set; } = "{}";

    /// <summary>Where to resume, as the importer's own JSON; written in the same transaction as the work it records.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>Who started it, for the audit trail and the list of jobs.</summary>
    public string StartedBy { get; set; } = string.Empty;

    /// <summary>Set by <c>cancelImportJob</c>; the worker stops at its next step and the job ends CANCELLED.</summary>
    public bool CancelRequested { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a worker first took it.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The claim of the worker running it; past this another worker may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    public Guid? ClaimToken { get; set; }

    /// <summary>How many times a worker took it: more than one means it resumed after a worker stopped.</summary>
    public int Runs { get; set; }

    /// <summary>Why the whole run stopped, when it failed.</summary>
    public string? FailureReason { get; set; }
}

public enum ImportKind
{
    OpenPhoneHistory,
    Contacts,
}

public enum ImportStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>One item an import could not take, and why, for its report.</summary>
public sealed class ImportError
{
    public long Id { get; init; }

    public Guid JobId { get; init; }

    public DateTimeOffset At { get; init; }

    /// <summary>What failed, by the source's id or position ("conversation CN…", "row 17"); never a phone number or a message body.</summary>
    public string Item { get; init; } = string.Empty;

    public string Message { get; init; } = string.Empty;
}
