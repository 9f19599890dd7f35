using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddConsentLedger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(
                name: "SmsOptedOutAt",
                table: "Contacts",
                newName: "SmsConsentSince");

            migrationBuilder.AddColumn<string>(
                name: "SmsConsentSource",
                table: "Contacts",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SmsConsentStatus",
                table: "Contacts",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                // Every contact so far: nothing known yet.
                defaultValue: "Unknown");

            migrationBuilder.CreateTable(
                name: "ConsentEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ContactId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Phone = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ActivityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Evidence = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ActorId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ActorName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConsentEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ConsentEntries_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ConsentEntries_ContactId_At",
                table: "ConsentEntries",
                columns: new[] { "ContactId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_ConsentEntries_Phone",
                table: "ConsentEntries",
                column: "Phone");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ConsentEntries");

            migrationBuilder.DropColumn(
                name: "SmsConsentSource",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "SmsConsentStatus",
                table: "Contacts");

            migrationBuilder.RenameColumn(
                name: "SmsConsentSince",
                table: "Contacts",
                newName: "SmsOptedOutAt");
        }
    }
}
