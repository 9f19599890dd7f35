using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddWebhookClaimsAndCallIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CallOpenPhoneId",
                table: "WebhookEvents",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ClaimedUntil",
                table: "WebhookEvents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Deliveries",
                table: "WebhookEvents",
                type: "INTEGER",
                nullable: false,
                // Every stored event was delivered at least once.
                defaultValue: 1);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookEvents_CallOpenPhoneId",
                table: "WebhookEvents",
                column: "CallOpenPhoneId");

            // Details that wait for their call are failed call events, found by the call's id from now on: give the
            // ones already waiting theirs, read from the body as the endpoint reads it. The rest of the inbox is
            // history and keeps null.
            migrationBuilder.Sql("""
                UPDATE "WebhookEvents"
                SET "CallOpenPhoneId" = substr(COALESCE(
                    json_extract("Body", '$.data.object.callId'), json_extract("Body", '$.data.resource.callId'), json_extract("Body", '$.data.context.callId'),
                    json_extract("Body", '$.data.object.id'), json_extract("Body", '$.data.resource.id')), 1, 100)
                WHERE "Status" = 'Failed' AND "Type" LIKE 'call.%' AND json_valid("Body");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_WebhookEvents_CallOpenPhoneId",
                table: "WebhookEvents");

            migrationBuilder.DropColumn(
                name: "CallOpenPhoneId",
                table: "WebhookEvents");

            migrationBuilder.DropColumn(
                name: "ClaimedUntil",
                table: "WebhookEvents");

            migrationBuilder.DropColumn(
                name: "Deliveries",
                table: "WebhookEvents");
        }
    }
}
