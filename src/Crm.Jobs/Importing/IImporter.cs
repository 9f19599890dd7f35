using Crm.Data.Importing;

namespace Crm.Jobs.Importing;

/// <summary>
/// One kind of import. <see cref="RunAsync"/> goes on from the claim's checkpoint, and records each step with
/// <see cref="ImportJobOperations.ProgressAsync"/> in that step's unit of work, so a step is either wholly done and
/// checkpointed or not done at all. Resolved in a scope of its own for each run.
/// </summary>
public interface IImporter
{
    ImportKind Kind { get; }

    /// <summary>Runs to the end; the token is cancelled when staff cancel the job, the claim is lost or the host stops.</summary>
    Task RunAsync(ImportClaim claim, CancellationToken cancellationToken);
}
