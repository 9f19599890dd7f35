using Npgsql;

namespace Crm.Tests.Infrastructure;

/// <summary>
/// A row locked by the test from a connection of its own, until released: concurrent requests that need the row wait
/// for it, so a test decides where they overlap instead of hoping they do.
/// </summary>
public sealed class HeldRowLock : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly NpgsqlConnection _connection;
    private NpgsqlTransaction? _transaction;

    private HeldRowLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>Locks the row of <paramref name="table"/> with the given id.</summary>
    public static async Task<HeldRowLock> AcquireAsync(string table, Guid id)
    {
        var connection = new NpgsqlConnection(PostgresFixture.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"SELECT 1 FROM \"{table}\" WHERE \"Id\" = @id FOR UPDATE", connection, transaction);
        command.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await command.ExecuteScalarAsync());
        return new HeldRowLock(connection, transaction);
    }

    /// <summary>Until <paramref name="count"/> sessions wait for a lock (this one or another), or <paramref name="done"/> has finished.</summary>
    public static async Task WaitForWaitersAsync(int count, Task? done = null)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (await WaitersAsync() < count && done is not { IsCompleted: true })
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Fewer than {count} sessions waited for a lock within {Patience.TotalSeconds} s.");
            await Task.Delay(10);
        }
    }

    public async Task ReleaseAsync()
    {
        if (_transaction is { } transaction)
        {
            _transaction = null;
            await transaction.CommitAsync();
            await transaction.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await _connection.DisposeAsync();
    }

    /// <summary>Asked outside the lock's transaction: inside it, PostgreSQL would answer from the snapshot it took first.</summary>
    private static async Task<long> WaitersAsync()
    {
        await using var connection = new NpgsqlConnection(PostgresFixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
