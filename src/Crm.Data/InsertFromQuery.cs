using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Crm.Data;

/// <summary>
/// <c>INSERT … SELECT</c> from LINQ, which EF Core has no operator for: rows keyed by what a query selects are written
/// by the database in one statement, however many the query matches, instead of being read into the process and
/// written back. The query's own SQL and parameters are EF Core's (<c>CreateDbCommand</c>), so any filter LINQ can
/// express can feed it; the same statement runs on PostgreSQL and SQLite.
/// </summary>
public static class InsertFromQuery
{
    /// <summary>
    /// Inserts one <typeparamref name="TEntity"/> row per value <paramref name="keys"/> selects, with
    /// <paramref name="constants"/> (property name → value) in the other columns; a row the table already holds
    /// (any unique conflict) is left as it is. Joins the context's open transaction. Returns the rows inserted.
    /// </summary>
    /// <param name="db">The context <paramref name="keys"/> is a query of.</param>
    /// <param name="keys">One column: the values of <paramref name="keyProperty"/>.</param>
    /// <param name="keyProperty">The property the selected values go to.</param>
    /// <param name="constants">The same value for every row, converted as EF Core converts the property's values.</param>
    /// <param name="cancellationToken">Ends the statement.</param>
    public static async Task<int> InsertMissingAsync<TEntity, TKey>(
        this CrmDbContext db, IQueryable<TKey> keys, string keyProperty, IReadOnlyDictionary<string, object?> constants, CancellationToken cancellationToken)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(constants);
        var entity = db.Model.FindEntityType(typeof(TEntity)) ?? throw new ArgumentException($"{typeof(TEntity).Name} is not an entity of the model.", nameof(TEntity));
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = keys.CreateDbCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            List<string> columns = [], values = [];
            foreach (var (name, value) in constants)
            {
                var property = Property(entity, name);
                var parameter = $"crm_{columns.Count}";
                command.Parameters.Add(((RelationalTypeMapping)property.GetTypeMapping()).CreateParameter(command, sql.GenerateParameterName(parameter), value, property.IsNullable));
                columns.Add(sql.DelimitIdentifier(property.GetColumnName(table)!));
                values.Add(sql.GenerateParameterNamePlaceholder(parameter));
            }

            columns.Add(sql.DelimitIdentifier(Property(entity, keyProperty).GetColumnName(table)!));
            values.Add("s.k");
            // The CTE's column list names the query's one column whatever EF Core called it; SQLite needs the WHERE to
            // tell the upsert clause from a join's ON.
            command.CommandText = $"""
                WITH s(k) AS (
                {command.CommandText}
                )
                INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns)})
                SELECT {string.Join(", ", values)} FROM s WHERE true
                ON CONFLICT DO NOTHING
                """;
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static IProperty Property(IEntityType entity, string name) =>
        entity.FindProperty(name) ?? throw new ArgumentException($"{entity.DisplayName()} has no property {name}.", nameof(name));
}
