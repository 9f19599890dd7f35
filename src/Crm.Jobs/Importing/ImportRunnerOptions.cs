namespace Crm.Jobs.Importing;

/// <summary>Settings under <c>Imports</c>.</summary>
public sealed class ImportRunnerOptions
{
    public const string Section = "Imports";

    /// <summary>Jobs this instance runs at once; 0 runs none here (another instance does).</summary>
    public int Workers { get; set; } = 1;

    /// <summary>How long a worker's claim lasts without renewal: after a crash, another worker resumes the job this much later.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for a job it was not told about (a crashed worker's, once its lease ran out).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Runs that ended in an unexpected error before the job is failed; each waits longer before it resumes.</summary>
    public int MaxRuns { get; set; } = 5;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest CSV that <c>POST /imports/contacts</c> takes, in bytes; larger uploads get a 413.</summary>
    public long MaxUploadBytes { get; set; } = 50 * 1024 * 1024;
}
