using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddCampaignRecurrenceAndFollowUps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IncludePreviouslyTexted",
                table: "Campaigns",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "ParentId",
                table: "Campaigns",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Recurrence",
                table: "Campaigns",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "RecurrenceAnchor",
                table: "Campaigns",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<List<int>>(
                name: "RecurrenceDays",
                table: "Campaigns",
                type: "integer[]",
                nullable: false,
                // Added by hand: the campaigns there already recur on no day (EF gives SQLite its '[]' itself).
                defaultValueSql: "'{}'");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "RecurrenceUntil",
                table: "Campaigns",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CampaignFollowUps",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    RecipientId = table.Column<Guid>(type: "uuid", nullable: false),
                    Step = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    SkipReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    SkipNote = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    PreviousSentAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    DueAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    NextTryAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ActivityId = table.Column<Guid>(type: "uuid", nullable: true),
                    QueuedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    StoppedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignFollowUps", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignFollowUps_Activities_ActivityId",
                        column: x => x.ActivityId,
                        principalTable: "Activities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_CampaignFollowUps_CampaignRecipients_RecipientId",
                        column: x => x.RecipientId,
                        principalTable: "CampaignRecipients",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignFollowUps_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FollowUpSteps",
                columns: table => new
                {
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    Number = table.Column<int>(type: "integer", nullable: false),
                    DelayHours = table.Column<int>(type: "integer", nullable: false),
                    Body = table.Column<string>(type: "character varying(1600)", maxLength: 1600, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FollowUpSteps", x => new { x.CampaignId, x.Number });
                    table.ForeignKey(
                        name: "FK_FollowUpSteps_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Campaigns_ParentId_CreatedAt",
                table: "Campaigns",
                columns: new[] { "ParentId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignFollowUps_ActivityId",
                table: "CampaignFollowUps",
                column: "ActivityId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignFollowUps_CampaignId_State_NextTryAt",
                table: "CampaignFollowUps",
                columns: new[] { "CampaignId", "State", "NextTryAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignFollowUps_QueuedAt",
                table: "CampaignFollowUps",
                column: "QueuedAt");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignFollowUps_RecipientId_Step",
                table: "CampaignFollowUps",
                columns: new[] { "RecipientId", "Step" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignFollowUps");

            migrationBuilder.DropTable(
                name: "FollowUpSteps");

            migrationBuilder.DropIndex(
                name: "IX_Campaigns_ParentId_CreatedAt",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "IncludePreviouslyTexted",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "ParentId",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "Recurrence",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "RecurrenceAnchor",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "RecurrenceDays",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "RecurrenceUntil",
                table: "Campaigns");
        }
    }
}
