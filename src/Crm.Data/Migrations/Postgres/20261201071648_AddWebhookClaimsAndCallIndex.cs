using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Crm.Data.Migrations.Postgres
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
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ClaimedUntil",
                table: "WebhookEvents",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Deliveries",
                table: "WebhookEvents",
                type: "integer",
                nullable: false,
                // Every stored event was delivered at least once.
                defaultValue: 1);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookEvents_CallOpenPhoneId",
                table: "WebhookEvents",
                column: "CallOpenPhoneId");

            // Details that wait for their call are failed call events, found by the call's id from now on: give the
            // ones already waiting theirs, read from the body as the endpoint reads it. A body PostgreSQL cannot read
            // as JSON (a \u0000 escape, say) keeps null: the retry job still takes that event up. The rest of the
            // inbox is history and keeps null too.
            migrationBuilder.Sql("""
                DO $$
                DECLARE waiting record;
                BEGIN
                    FOR waiting IN SELECT "Id", "Body" FROM "WebhookEvents" WHERE "Status" = 'Failed' AND "Type" LIKE 'call.%' LOOP
                        BEGIN
                            UPDATE "WebhookEvents" AS e
                            SET "CallOpenPhoneId" = left(COALESCE(d -> 'object' ->> 'callId', d -> 'resource' ->> 'callId', d -> 'context' ->> 'callId',
                                                                  d -> 'object' ->> 'id', d -> 'resource' ->> 'id'), 100)
                            FROM (SELECT waiting."Body"::json -> 'data' AS d) AS body
                            WHERE e."Id" = waiting."Id";
                        EXCEPTION WHEN data_exception THEN
                            NULL;
                        END;
                    END LOOP;
                END $$;
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
