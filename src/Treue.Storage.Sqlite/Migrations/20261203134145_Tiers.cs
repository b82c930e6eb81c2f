using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Tiers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "tiers",
                table: "programmes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "member_tiers",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    level = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    since = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    held_until = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    manual_level = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    manual_reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    manual_until = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    undo = table.Column<string>(type: "TEXT", nullable: true),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_member_tiers", x => new { x.programme_id, x.member_id });
                });

            migrationBuilder.CreateTable(
                name: "tier_activity",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    reference = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    status_points = table.Column<long>(type: "INTEGER", nullable: false),
                    spend_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    purchases = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tier_activity", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tier_history",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    from_level = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    to_level = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    reason = table.Column<short>(type: "INTEGER", nullable: false),
                    note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    reference = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    until = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    actor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tier_history", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_member_tiers_programme_id_held_until",
                table: "member_tiers",
                columns: new[] { "programme_id", "held_until" });

            migrationBuilder.CreateIndex(
                name: "ix_tier_activity_programme_id_member_id_occurred_at",
                table: "tier_activity",
                columns: new[] { "programme_id", "member_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_tier_history_programme_id_member_id_at",
                table: "tier_history",
                columns: new[] { "programme_id", "member_id", "at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "member_tiers");

            migrationBuilder.DropTable(
                name: "tier_activity");

            migrationBuilder.DropTable(
                name: "tier_history");

            migrationBuilder.DropColumn(
                name: "tiers",
                table: "programmes");
        }
    }
}
