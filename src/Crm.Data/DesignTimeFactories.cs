using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Crm.Data;

// `dotnet ef` builds each provider's context without a running host or a reachable database.
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresCrmDbContext>
{
    public PostgresCrmDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresCrmDbContext>().UseNpgsql("Host=localhost;Database=crm").Options);
}

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteCrmDbContext>
{
    public SqliteCrmDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteCrmDbContext>().UseSqlite("Data Source=design.db").Options);
}
