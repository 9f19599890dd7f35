using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Crm.Data;

/// <summary>
/// <c>SELECT … FOR UPDATE</c> from LINQ: the rows a query returns stay locked until the transaction ends, so a
/// read-modify-write of them cannot lose a concurrent one. EF Core has no operator for it: the query is tagged and
/// an interceptor appends the clause on PostgreSQL. SQLite has no row locks and needs none: a transaction there
/// begins with <c>BEGIN IMMEDIATE</c>, so writers already run one at a time, and the tag stays a comment.
/// </summary>
/// <remarks>Only for single-table queries: PostgreSQL refuses <c>FOR UPDATE</c> on the nullable side of an outer join.</remarks>
public static class RowLocks
{
    private const string Tag = "crm:for-update";
    private const string SkipLockedTag = "crm:for-update-skip-locked";

    public static IQueryable<T> ForUpdate<T>(this IQueryable<T> query) => query.TagWith(Tag);

    /// <summary>
    /// A work queue's claim: rows another transaction holds are passed over instead of waited for, so concurrent
    /// claimers on every instance each take different rows. On SQLite the one writer at a time makes this a plain read.
    /// </summary>
    public static IQueryable<T> ForUpdateSkipLocked<T>(this IQueryable<T> query) => query.TagWith(SkipLockedTag);

    /// <summary>Appends the clause to tagged queries; registered on the PostgreSQL context.</summary>
    internal static IInterceptor Interceptor { get; } = new ForUpdateInterceptor();

    private sealed class ForUpdateInterceptor : DbCommandInterceptor
    {
        private static readonly string Marker = $"-- {Tag}";
        private static readonly string SkipLockedMarker = $"-- {SkipLockedTag}";

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Append(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Append(command);
            return ValueTask.FromResult(result);
        }

        private static void Append(DbCommand command)
        {
            // The longer tag first: it begins with the shorter one.
            if (command.CommandText.StartsWith(SkipLockedMarker, StringComparison.Ordinal))
            {
                command.CommandText += "\nFOR UPDATE SKIP LOCKED";
            }
            else if (command.CommandText.StartsWith(Marker, StringComparison.Ordinal))
            {
                command.CommandText += "\nFOR UPDATE";
            }
        }
    }
}
