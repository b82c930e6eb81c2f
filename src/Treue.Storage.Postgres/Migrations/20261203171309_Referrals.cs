using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Referrals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "referrals",
                table: "programmes",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "member_referral_codes",
                columns: table => new
                {
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    uses = table.Column<int>(type: "integer", nullable: false),
                    payment_reference_hash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_member_referral_codes", x => new { x.programme_id, x.member_id });
                });

            migrationBuilder.CreateTable(
                name: "referrals",
                columns: table => new
                {
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    referrer_id = table.Column<Guid>(type: "uuid", nullable: false),
                    code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    enrolled_on = table.Column<DateOnly>(type: "date", nullable: false),
                    enrolled_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    purchase_id = table.Column<Guid>(type: "uuid", nullable: true),
                    purchase_reference = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    purchased_on = table.Column<DateOnly>(type: "date", nullable: true),
                    reward_on = table.Column<DateOnly>(type: "date", nullable: true),
                    reward_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    referrer_points = table.Column<long>(type: "bigint", nullable: false),
                    referrer_campaign_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    new_member_points = table.Column<long>(type: "bigint", nullable: false),
                    new_member_campaign_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    version = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_referrals", x => new { x.programme_id, x.member_id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_member_referral_codes_programme_id_code",
                table: "member_referral_codes",
                columns: new[] { "programme_id", "code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_referrals_programme_id_referrer_id_enrolled_on",
                table: "referrals",
                columns: new[] { "programme_id", "referrer_id", "enrolled_on" });

            migrationBuilder.CreateIndex(
                name: "ix_referrals_programme_id_status_reward_on",
                table: "referrals",
                columns: new[] { "programme_id", "status", "reward_on" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "member_referral_codes");

            migrationBuilder.DropTable(
                name: "referrals");

            migrationBuilder.DropColumn(
                name: "referrals",
                table: "programmes");
        }
    }
}
