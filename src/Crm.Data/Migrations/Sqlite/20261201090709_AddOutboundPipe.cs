using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddOutboundPipe : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "SmsOptedOutAt",
                table: "Contacts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DeliveredAt",
                table: "Activities",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FailureReason",
                table: "Activities",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OutboundStatus",
                table: "Activities",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "QueuedAt",
                table: "Activities",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SentAt",
                table: "Activities",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "OutboundMessages",
                columns: table => new
                {
                    ActivityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    LineOpenPhoneId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    ToNumber = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LeaseUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    ClaimToken = table.Column<Guid>(type: "TEXT", nullable: true),
                    FirstSendAt = table.Column<long>(type: "INTEGER", nullable: true),
                    MaybeSent = table.Column<bool>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
                    Key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    NextSlotAt = table.Column<long>(type: "INTEGER", nullable: false)
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
