using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Crm.Data;

public static class Transactions
{
    /// <summary>
    /// A transaction that is committed or rolled back whole. EF otherwise wraps every SaveChanges inside it in a
    /// savepoint — two more round trips each — so that a failed save could be retried within the transaction, which
    /// no caller here does: a failure rolls everything back.
    /// </summary>
    /// <remarks>The setting lasts for this use of the context: a pooled context is reset when it goes back to the pool.</remarks>
    public static Task<IDbContextTransaction> BeginWholeTransactionAsync(this DatabaseFacade database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.AutoSavepointsEnabled = false;
        return database.BeginTransactionAsync(cancellationToken);
    }
}
