using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Treue.Storage.Postgres.Migrations
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
                    partner_id = table.Column<Guid>(type: "uuid", nullable: false),
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    issue_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: true),
                    redemption_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: true),
                    fee_per_point = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    fee_percent = table.Column<decimal>(type: "numeric(9,4)", precision: 9, scale: 4, nullable: false),
                    monthly_fee_minor = table.Column<long>(type: "bigint", nullable: false),
                    breakage = table.Column<short>(type: "smallint", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_partner_economics", x => x.partner_id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_claims",
                columns: table => new
                {
                    transaction_id = table.Column<long>(type: "bigint", nullable: false),
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_claims", x => x.transaction_id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_runs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<short>(type: "smallint", nullable: false),
                    label = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    start_day = table.Column<DateOnly>(type: "date", nullable: false),
                    end_day = table.Column<DateOnly>(type: "date", nullable: false),
                    ends_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    computed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    computed_by = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    closed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    closed_by = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    transaction_count = table.Column<int>(type: "integer", nullable: false),
                    fees_minor = table.Column<long>(type: "bigint", nullable: false),
                    breakage_kept_minor = table.Column<long>(type: "bigint", nullable: false),
                    points_fund_minor = table.Column<long>(type: "bigint", nullable: false),
                    operator_net_minor = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_settings",
                columns: table => new
                {
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    period = table.Column<short>(type: "smallint", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_settlement_settings", x => x.programme_id);
                });

            migrationBuilder.CreateTable(
                name: "settlement_statements",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    programme_id = table.Column<Guid>(type: "uuid", nullable: false),
                    partner_id = table.Column<Guid>(type: "uuid", nullable: false),
                    partner_code = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    partner_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    points_issued = table.Column<long>(type: "bigint", nullable: false),
                    points_returned = table.Column<long>(type: "bigint", nullable: false),
                    points_redeemed = table.Column<long>(type: "bigint", nullable: false),
                    points_refunded = table.Column<long>(type: "bigint", nullable: false),
                    points_expired = table.Column<long>(type: "bigint", nullable: false),
                    issue_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    redemption_price = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    fee_per_point = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    fee_percent = table.Column<decimal>(type: "numeric(9,4)", precision: 9, scale: 4, nullable: false),
                    breakage = table.Column<short>(type: "smallint", nullable: false),
                    issued_minor = table.Column<long>(type: "bigint", nullable: false),
                    returns_minor = table.Column<long>(type: "bigint", nullable: false),
                    redeemed_minor = table.Column<long>(type: "bigint", nullable: false),
                    breakage_refund_minor = table.Column<long>(type: "bigint", nullable: false),
                    breakage_kept_minor = table.Column<long>(type: "bigint", nullable: false),
                    point_fee_minor = table.Column<long>(type: "bigint", nullable: false),
                    percent_fee_minor = table.Column<long>(type: "bigint", nullable: false),
                    monthly_fee_minor = table.Column<long>(type: "bigint", nullable: false),
                    net_minor = table.Column<long>(type: "bigint", nullable: false)
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
