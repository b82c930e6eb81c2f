using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Promotions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "campaign_member_uses",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    campaign_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    uses = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_campaign_member_uses", x => new { x.programme_id, x.member_id, x.campaign_id });
                });

            migrationBuilder.CreateTable(
                name: "campaign_usage",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    campaign_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    uses = table.Column<long>(type: "INTEGER", nullable: false),
                    money_spent_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points_spent = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_campaign_usage", x => new { x.programme_id, x.campaign_id });
                });

            migrationBuilder.CreateTable(
                name: "campaigns",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_campaigns", x => new { x.programme_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "coupon_codes",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    campaign_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    uses = table.Column<int>(type: "INTEGER", nullable: false),
                    apply_without_presenting = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_coupon_codes", x => new { x.programme_id, x.code });
                });

            migrationBuilder.CreateTable(
                name: "coupon_redemptions",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    campaign_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    step = table.Column<int>(type: "INTEGER", nullable: false),
                    discount_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points = table.Column<long>(type: "INTEGER", nullable: false),
                    returned_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    released = table.Column<bool>(type: "INTEGER", nullable: false),
                    redeemed_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_coupon_redemptions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "member_stamp_cards",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    card_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    state = table.Column<string>(type: "TEXT", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_member_stamp_cards", x => new { x.programme_id, x.member_id, x.card_id });
                });

            migrationBuilder.CreateTable(
                name: "purchase_promotions",
                columns: table => new
                {
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    original = table.Column<string>(type: "TEXT", nullable: false),
                    steps = table.Column<string>(type: "TEXT", nullable: false),
                    stamps = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_purchase_promotions", x => x.purchase_id);
                });

            migrationBuilder.CreateTable(
                name: "stamp_cards",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stamp_cards", x => new { x.programme_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_coupon_codes_programme_id_campaign_id",
                table: "coupon_codes",
                columns: new[] { "programme_id", "campaign_id" });

            migrationBuilder.CreateIndex(
                name: "ix_coupon_codes_programme_id_member_id",
                table: "coupon_codes",
                columns: new[] { "programme_id", "member_id" },
                filter: "\"member_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_coupon_redemptions_programme_id_campaign_id",
                table: "coupon_redemptions",
                columns: new[] { "programme_id", "campaign_id" });

            migrationBuilder.CreateIndex(
                name: "ix_coupon_redemptions_purchase_id",
                table: "coupon_redemptions",
                column: "purchase_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "campaign_member_uses");

            migrationBuilder.DropTable(
                name: "campaign_usage");

            migrationBuilder.DropTable(
                name: "campaigns");

            migrationBuilder.DropTable(
                name: "coupon_codes");

            migrationBuilder.DropTable(
                name: "coupon_redemptions");

            migrationBuilder.DropTable(
                name: "member_stamp_cards");

            migrationBuilder.DropTable(
                name: "purchase_promotions");

            migrationBuilder.DropTable(
                name: "stamp_cards");
        }
    }
}
