using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddTimelineAndContactOrderIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Activities_ContactId",
                table: "Activities");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_CreatedAt_Id",
                table: "Contacts",
                columns: new[] { "CreatedAt", "Id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "IX_Activities_ContactId_OccurredAt_Id",
                table: "Activities",
                columns: new[] { "ContactId", "OccurredAt", "Id" },
                descending: new[] { false, true, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Contacts_CreatedAt_Id",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Activities_ContactId_OccurredAt_Id",
                table: "Activities");

            migrationBuilder.CreateIndex(
                name: "IX_Activities_ContactId",
                table: "Activities",
                column: "ContactId");
        }
    }
}
