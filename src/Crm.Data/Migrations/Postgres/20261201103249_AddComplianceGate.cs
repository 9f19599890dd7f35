using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddComplianceGate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "ConsentAttested",
                table: "OutboundMessages",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Purpose",
                table: "OutboundMessages",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                // Every text queued before purposes existed was staff texting.
                defaultValue: "Conversation");

            migrationBuilder.AddColumn<string>(
                name: "GateNote",
                table: "Activities",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Segments",
                table: "Activities",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "OptOutReviews",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ContactId = table.Column<Guid>(type: "uuid", nullable: false),
                    ActivityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Score = table.Column<double>(type: "double precision", nullable: false),
                    Reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ResolvedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ResolvedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OptOutReviews", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OptOutReviews_Activities_ActivityId",
                        column: x => x.ActivityId,
                        principalTable: "Activities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_OptOutReviews_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_OptOutReviews_ActivityId",
                table: "OptOutReviews",
                column: "ActivityId");

            migrationBuilder.CreateIndex(
                name: "IX_OptOutReviews_ContactId",
                table: "OptOutReviews",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_OptOutReviews_Status_CreatedAt",
                table: "OptOutReviews",
                columns: new[] { "Status", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OptOutReviews");

            migrationBuilder.DropColumn(
                name: "ConsentAttested",
                table: "OutboundMessages");

            migrationBuilder.DropColumn(
                name: "Purpose",
                table: "OutboundMessages");

            migrationBuilder.DropColumn(
                name: "GateNote",
                table: "Activities");

            migrationBuilder.DropColumn(
                name: "Segments",
                table: "Activities");
        }
    }
}
