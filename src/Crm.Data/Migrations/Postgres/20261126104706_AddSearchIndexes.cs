using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Trigram indexes serve the case-insensitive contains/startsWith filters and search, which EF Core
            // translates to lower(column) LIKE '%…%'. pg_trgm is a trusted extension: a database owner may create it.
            migrationBuilder.Sql("CREATE EXTENSION IF NOT EXISTS pg_trgm;");
            migrationBuilder.Sql("CREATE INDEX \"IX_Activities_Body_Trgm\" ON \"Activities\" USING gin (lower(\"Body\") gin_trgm_ops);");
            migrationBuilder.Sql("CREATE INDEX \"IX_Contacts_FirstName_Trgm\" ON \"Contacts\" USING gin (lower(\"FirstName\") gin_trgm_ops);");
            migrationBuilder.Sql("CREATE INDEX \"IX_Contacts_LastName_Trgm\" ON \"Contacts\" USING gin (lower(\"LastName\") gin_trgm_ops);");
            migrationBuilder.Sql("CREATE INDEX \"IX_Contacts_Company_Trgm\" ON \"Contacts\" USING gin (lower(\"Company\") gin_trgm_ops);");
            migrationBuilder.Sql("CREATE INDEX \"IX_Contacts_Phone_Trgm\" ON \"Contacts\" USING gin (\"Phone\" gin_trgm_ops);");
            // Array containment on tags ("Tags" @> ARRAY[...]) for tag filters.
            migrationBuilder.Sql("CREATE INDEX \"IX_Contacts_Tags\" ON \"Contacts\" USING gin (\"Tags\");");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var index in new[] { "IX_Activities_Body_Trgm", "IX_Contacts_FirstName_Trgm", "IX_Contacts_LastName_Trgm", "IX_Contacts_Company_Trgm", "IX_Contacts_Phone_Trgm", "IX_Contacts_Tags" })
            {
                migrationBuilder.Sql($"DROP INDEX IF EXISTS \"{index}\";");
            }
        }
    }
}
