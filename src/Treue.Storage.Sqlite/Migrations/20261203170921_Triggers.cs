using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Triggers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "outbox_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    template = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    language = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    data = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    source = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    state = table.Column<short>(type: "INTEGER", nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "trigger_firings",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    trigger_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    occasion = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    period = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    points = table.Column<long>(type: "INTEGER", nullable: false),
                    ledger_transaction_id = table.Column<long>(type: "INTEGER", nullable: true),
                    coupon_code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    outbox_message_id = table.Column<long>(type: "INTEGER", nullable: true),
                    fired_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_trigger_firings", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "triggers",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    active = table.Column<bool>(type: "INTEGER", nullable: false),
                    checked_through = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    firings = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_triggers", x => new { x.programme_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_due",
                table: "outbox_messages",
                column: "next_attempt_at",
                filter: "\"state\" = 0");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_programme_id_id",
                table: "outbox_messages",
                columns: new[] { "programme_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_programme_id_member_id_id",
                table: "outbox_messages",
                columns: new[] { "programme_id", "member_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_trigger_firings_programme_id_member_id_id",
                table: "trigger_firings",
                columns: new[] { "programme_id", "member_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_trigger_firings_programme_id_trigger_id_member_id_occasion",
                table: "trigger_firings",
                columns: new[] { "programme_id", "trigger_id", "member_id", "occasion" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_trigger_firings_programme_id_trigger_id_period",
                table: "trigger_firings",
                columns: new[] { "programme_id", "trigger_id", "period" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "outbox_messages");

            migrationBuilder.DropTable(
                name: "trigger_firings");

            migrationBuilder.DropTable(
                name: "triggers");
        }
    }
}
