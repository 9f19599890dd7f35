namespace Crm.Data.Importing;

/// <summary>
/// One piece of an uploaded file, kept in the database so that any instance can run the job and a restart loses
/// nothing; read back in <see cref="Seq"/> order as one stream.
/// </summary>
public sealed class ImportFileChunk
{
    public Guid JobId { get; init; }

    public int Seq { get; init; }

    public byte[] Data { get; init; } = [];
}

/// <summary>What became of one row of an imported file: its line in the job's report.</summary>
public sealed class ImportRow
{
    public Guid JobId { get; init; }

    /// <summary>The row as a spreadsheet numbers it: the header is row 1, the first record row 2.</summary>
    public int Row { get; init; }

    public ImportRowOutcome Outcome { get; init; }

    public string? Reason { get; init; }

    /// <summary>The contact created, updated or left unchanged (or, for a duplicate, the earlier row's); null in a dry run's creations.</summary>
    public Guid? ContactId { get; init; }

    /// <summary>The row's phone in E.164, for the report and for finding later rows that repeat it.</summary>
    public string? Phone { get; init; }

    /// <summary>The row's email, lower-cased, likewise.</summary>
    public string? Email { get; init; }
}

public enum ImportRowOutcome
{
    Created,
    Updated,
    Unchanged,
    DuplicateInFile,
    Rejected,
}
