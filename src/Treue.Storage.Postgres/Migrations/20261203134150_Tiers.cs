using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Treue.Storage.Postgres.Migrations
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
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "member_tiers",
                columns: table => new
                {
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    level = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    since = table.Column<DateOnly>(type: "date", nullable: false),
                    held_until = table.Column<DateOnly>(type: "date", nullable: false),
                    manual_level = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    manual_reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    manual_until = table.Column<DateOnly>(type: "date", nullable: true),
                    undo = table.Column<string>(type: "text", nullable: true),
                    version = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_member_tiers", x => new { x.programme_id, x.member_id });
                });

            migrationBuilder.CreateTable(
                name: "tier_activity",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    purchase_id = table.Column<Guid>(type: "uuid", nullable: false),
                    reference = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    occurred_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    status_points = table.Column<long>(type: "bigint", nullable: false),
                    spend_minor = table.Column<long>(type: "bigint", nullable: false),
                    purchases = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tier_activity", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tier_history",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    from_level = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    to_level = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    reason = table.Column<short>(type: "smallint", nullable: false),
                    note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    reference = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    until = table.Column<DateOnly>(type: "date", nullable: true),
                    actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
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
