using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddOutboundPipe : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "SmsOptedOutAt",
                table: "Contacts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "DeliveredAt",
                table: "Activities",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FailureReason",
                table: "Activities",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OutboundStatus",
                table: "Activities",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "QueuedAt",
                table: "Activities",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "SentAt",
                table: "Activities",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "OutboundMessages",
                columns: table => new
                {
                    ActivityId = table.Column<Guid>(type: "uuid", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    LineOpenPhoneId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    ToNumber = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    IdempotencyKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LeaseUntil = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ClaimToken = table.Column<Guid>(type: "uuid", nullable: true),
                    FirstSendAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    MaybeSent = table.Column<bool>(type: "boolean", nullable: false),
                    LastError = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboundMessages", x => x.ActivityId);
                    table.ForeignKey(
                        name: "FK_OutboundMessages_Activities_ActivityId",
                        column: x => x.ActivityId,
                        principalTable: "Activities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SendRateSlots",
                columns: table => new
                {
                    Key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    NextSlotAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SendRateSlots", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Activities_OutboundStatus_OccurredAt",
                table: "Activities",
                columns: new[] { "OutboundStatus", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_IdempotencyKey",
                table: "OutboundMessages",
                column: "IdempotencyKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_State_Priority_NextAttemptAt",
                table: "OutboundMessages",
                columns: new[] { "State", "Priority", "NextAttemptAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OutboundMessages");

            migrationBuilder.DropTable(
                name: "SendRateSlots");

            migrationBuilder.DropIndex(
                name: "IX_Activities_OutboundStatus_OccurredAt",
                table: "Activities");

            migrationBuilder.DropColumn(
                name: "SmsOptedOutAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "DeliveredAt",
                table: "Activities");

            migrationBuilder.DropColumn(
                name: "FailureReason",
                table: "Activities");

            migrationBuilder.DropColumn(
                name: "OutboundStatus",
                table: "Activities");

            migrationBuilder.DropColumn(
                name: "QueuedAt",
                table: "Activities");

            migrationBuilder.DropColumn(
                name: "SentAt",
                table: "Activities");
        }
    }
}
