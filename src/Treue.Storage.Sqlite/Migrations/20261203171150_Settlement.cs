using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Settlement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "partner_economics",
                columns: table => new
                {
                    partner_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    issue_price = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: true),
                    redemption_price = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: true),
                    fee_per_point = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    fee_percent = table.Column<decimal>(type: "TEXT", precision: 9, scale: 4, nullable: false),
                    monthly_fee_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    breakage = table.Column<short>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_partner_economics", x => x.partner_id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_claims",
                columns: table => new
                {
                    transaction_id = table.Column<long>(type: "INTEGER", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    run_id = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_claims", x => x.transaction_id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_runs",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    kind = table.Column<short>(type: "INTEGER", nullable: false),
                    label = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    start_day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    end_day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    ends_at = table.Column<long>(type: "INTEGER", nullable: false),
                    currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    status = table.Column<short>(type: "INTEGER", nullable: false),
                    computed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    computed_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    closed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    closed_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    transaction_count = table.Column<int>(type: "INTEGER", nullable: false),
                    fees_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    breakage_kept_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points_fund_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    operator_net_minor = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_settings",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    period = table.Column<short>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_settings", x => x.programme_id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_statements",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    run_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    partner_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    partner_code = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    partner_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    points_issued = table.Column<long>(type: "INTEGER", nullable: false),
                    points_returned = table.Column<long>(type: "INTEGER", nullable: false),
                    points_redeemed = table.Column<long>(type: "INTEGER", nullable: false),
                    points_refunded = table.Column<long>(type: "INTEGER", nullable: false),
                    points_expired = table.Column<long>(type: "INTEGER", nullable: false),
                    issue_price = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    redemption_price = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    fee_per_point = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    fee_percent = table.Column<decimal>(type: "TEXT", precision: 9, scale: 4, nullable: false),
                    breakage = table.Column<short>(type: "INTEGER", nullable: false),
                    issued_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    returns_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    redeemed_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    breakage_refund_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    breakage_kept_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    point_fee_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    percent_fee_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    monthly_fee_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    net_minor = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_statements", x => x.id);
                    table.ForeignKey(
                        name: "fk_settlement_statements_settlement_runs_run_id",
                        column: x => x.run_id,
                        principalTable: "settlement_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_partner_economics_programme_id",
                table: "partner_economics",
                column: "programme_id");

            migrationBuilder.CreateIndex(
                name: "ix_settlement_claims_run_id",
                table: "settlement_claims",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ix_settlement_runs_programme_id_kind_start_day",
                table: "settlement_runs",
                columns: new[] { "programme_id", "kind", "start_day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_settlement_statements_programme_id_partner_id",
                table: "settlement_statements",
                columns: new[] { "programme_id", "partner_id" });

            migrationBuilder.CreateIndex(
                name: "ix_settlement_statements_run_id_partner_id",
                table: "settlement_statements",
                columns: new[] { "run_id", "partner_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "partner_economics");

            migrationBuilder.DropTable(
                name: "settlement_claims");

            migrationBuilder.DropTable(
                name: "settlement_settings");

            migrationBuilder.DropTable(
                name: "settlement_statements");

            migrationBuilder.DropTable(
                name: "settlement_runs");
        }
    }
}
