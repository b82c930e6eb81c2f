using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    role = table.Column<short>(type: "INTEGER", nullable: false),
                    partner_code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    prefix = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    hash = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_used_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    actor_kind = table.Column<short>(type: "INTEGER", nullable: false),
                    actor_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    actor = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    target = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    details = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_entries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "cards",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    number = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    token = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    kind = table.Column<short>(type: "INTEGER", nullable: false),
                    status = table.Column<short>(type: "INTEGER", nullable: false),
                    issued_at = table.Column<long>(type: "INTEGER", nullable: false),
                    blocked_at = table.Column<long>(type: "INTEGER", nullable: true),
                    block_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    replaced_by = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_cards", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    friendly_name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_records",
                columns: table => new
                {
                    scope = table.Column<byte[]>(type: "BLOB", nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    request_hash = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    status_code = table.Column<int>(type: "INTEGER", nullable: false),
                    content_type = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    location = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    body = table.Column<byte[]>(type: "BLOB", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_records", x => new { x.scope, x.key });
                });

            migrationBuilder.CreateTable(
                name: "ledger_transactions",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    kind = table.Column<short>(type: "INTEGER", nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false),
                    idempotency_key = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    return_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    reward_order_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    lot_id = table.Column<long>(type: "INTEGER", nullable: true),
                    reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    actor = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    explanation = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ledger_transactions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "member_credentials",
                columns: table => new
                {
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    password_hash = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_member_credentials", x => x.member_id);
                });

            migrationBuilder.CreateTable(
                name: "members",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    external_ref = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    email = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    email_key = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    birthday = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    language = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    status = table.Column<short>(type: "INTEGER", nullable: false),
                    enrolled_at = table.Column<long>(type: "INTEGER", nullable: false),
                    available = table.Column<long>(type: "INTEGER", nullable: false),
                    pending = table.Column<long>(type: "INTEGER", nullable: false),
                    purchase_count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_members", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "partners",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    active = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_partners", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "point_lots",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    source = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    earned_at = table.Column<long>(type: "INTEGER", nullable: false),
                    available_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    amount = table.Column<long>(type: "INTEGER", nullable: false),
                    remaining = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<short>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_point_lots", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "programme_changes",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    author = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    summary = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    changes = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_programme_changes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "programmes",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    point_value = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    base_rate = table.Column<decimal>(type: "TEXT", precision: 18, scale: 6, nullable: false),
                    rounding = table.Column<short>(type: "INTEGER", nullable: false),
                    time_zone = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    pending_days = table.Column<int>(type: "INTEGER", nullable: false),
                    expiry = table.Column<string>(type: "TEXT", nullable: false),
                    pay_with_points = table.Column<string>(type: "TEXT", nullable: false),
                    config_version = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_programmes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "purchases",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    card_number = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    partner_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    partner_code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    store_code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    channel = table.Column<short>(type: "INTEGER", nullable: false),
                    member_purchase_no = table.Column<int>(type: "INTEGER", nullable: true),
                    receipt_id = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 2000, nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false),
                    currency = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    total_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points_earned = table.Column<long>(type: "INTEGER", nullable: false),
                    bonus_points = table.Column<long>(type: "INTEGER", nullable: false),
                    points_paid = table.Column<long>(type: "INTEGER", nullable: false),
                    points_discount_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    returned_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points_reversed = table.Column<long>(type: "INTEGER", nullable: false),
                    paid_points_refunded = table.Column<long>(type: "INTEGER", nullable: false),
                    payment_transaction_id = table.Column<long>(type: "INTEGER", nullable: true),
                    bonuses = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_purchases", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "returns",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    return_id = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 2000, nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    value_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points_reversed = table.Column<long>(type: "INTEGER", nullable: false),
                    points_unrecovered = table.Column<long>(type: "INTEGER", nullable: false),
                    paid_points_refunded = table.Column<long>(type: "INTEGER", nullable: false),
                    lines = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_returns", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "reward_orders",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    reward_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    reward_code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    reward_name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    points = table.Column<long>(type: "INTEGER", nullable: false),
                    co_payment_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<short>(type: "INTEGER", nullable: false),
                    placed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    fulfilled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cancelled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    redeem_transaction_id = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reward_orders", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rewards",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    image_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    points_price = table.Column<long>(type: "INTEGER", nullable: false),
                    co_payment_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    stock_limit = table.Column<long>(type: "INTEGER", nullable: true),
                    stock_issued = table.Column<long>(type: "INTEGER", nullable: false),
                    valid_from = table.Column<long>(type: "INTEGER", nullable: true),
                    valid_to = table.Column<long>(type: "INTEGER", nullable: true),
                    active = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rewards", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rules",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    active = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rules", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sign_in_codes",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code_hash = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    link_hash = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    used_at = table.Column<long>(type: "INTEGER", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sign_in_codes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "staff_users",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    email = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    email_key = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    role = table.Column<short>(type: "INTEGER", nullable: false),
                    password_hash = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    active = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_sign_in_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_staff_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "stores",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    partner_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    active = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stores", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "web_sessions",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    kind = table.Column<short>(type: "INTEGER", nullable: false),
                    subject_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    ended_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_web_sessions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ledger_entries",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    transaction_id = table.Column<long>(type: "INTEGER", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    account = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    amount = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ledger_entries", x => x.id);
                    table.ForeignKey(
                        name: "fk_ledger_entries_ledger_transactions_transaction_id",
                        column: x => x.transaction_id,
                        principalTable: "ledger_transactions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "lot_draws",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    transaction_id = table.Column<long>(type: "INTEGER", nullable: false),
                    lot_id = table.Column<long>(type: "INTEGER", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    points = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_lot_draws", x => x.id);
                    table.ForeignKey(
                        name: "fk_lot_draws_ledger_transactions_transaction_id",
                        column: x => x.transaction_id,
                        principalTable: "ledger_transactions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "purchase_lines",
                columns: table => new
                {
                    purchase_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    line_no = table.Column<int>(type: "INTEGER", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: true),
                    sku = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    category = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    quantity = table.Column<decimal>(type: "TEXT", precision: 18, scale: 3, nullable: false),
                    unit_price_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    discount_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    net_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points = table.Column<long>(type: "INTEGER", nullable: false),
                    contributions = table.Column<string>(type: "TEXT", nullable: false),
                    returned_quantity = table.Column<decimal>(type: "TEXT", precision: 18, scale: 3, nullable: false),
                    returned_minor = table.Column<long>(type: "INTEGER", nullable: false),
                    points_reversed = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_purchase_lines", x => new { x.purchase_id, x.line_no });
                    table.ForeignKey(
                        name: "fk_purchase_lines_purchases_purchase_id",
                        column: x => x.purchase_id,
                        principalTable: "purchases",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_hash",
                table: "api_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_programme_id_at",
                table: "audit_entries",
                columns: new[] { "programme_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_programme_id_id",
                table: "audit_entries",
                columns: new[] { "programme_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_programme_id_member_id_id",
                table: "audit_entries",
                columns: new[] { "programme_id", "member_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_cards_programme_id_member_id",
                table: "cards",
                columns: new[] { "programme_id", "member_id" });

            migrationBuilder.CreateIndex(
                name: "ix_cards_programme_id_number",
                table: "cards",
                columns: new[] { "programme_id", "number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_cards_token",
                table: "cards",
                column: "token",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_ledger_entries_transaction_id",
                table: "ledger_entries",
                column: "transaction_id");

            migrationBuilder.CreateIndex(
                name: "ix_ledger_transactions_member_id_id",
                table: "ledger_transactions",
                columns: new[] { "member_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_ledger_transactions_programme_id_idempotency_key",
                table: "ledger_transactions",
                columns: new[] { "programme_id", "idempotency_key" },
                unique: true,
                filter: "\"idempotency_key\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_lot_draws_transaction_id",
                table: "lot_draws",
                column: "transaction_id");

            migrationBuilder.CreateIndex(
                name: "ix_member_credentials_programme_id",
                table: "member_credentials",
                column: "programme_id");

            migrationBuilder.CreateIndex(
                name: "ix_members_programme_id_email_key",
                table: "members",
                columns: new[] { "programme_id", "email_key" });

            migrationBuilder.CreateIndex(
                name: "ix_members_programme_id_external_ref",
                table: "members",
                columns: new[] { "programme_id", "external_ref" });

            migrationBuilder.CreateIndex(
                name: "ix_members_programme_id_id",
                table: "members",
                columns: new[] { "programme_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_partners_programme_id_code",
                table: "partners",
                columns: new[] { "programme_id", "code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_point_lots_expiring",
                table: "point_lots",
                column: "expires_at",
                filter: "\"status\" = 1 AND \"remaining\" > 0 AND \"expires_at\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_point_lots_member_id_status",
                table: "point_lots",
                columns: new[] { "member_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_point_lots_pending_due",
                table: "point_lots",
                column: "available_at",
                filter: "\"status\" = 0");

            migrationBuilder.CreateIndex(
                name: "ix_point_lots_purchase_id",
                table: "point_lots",
                column: "purchase_id",
                filter: "\"purchase_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_programme_changes_programme_id_id",
                table: "programme_changes",
                columns: new[] { "programme_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_programmes_code",
                table: "programmes",
                column: "code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_purchases_member_id_occurred_at",
                table: "purchases",
                columns: new[] { "member_id", "occurred_at" },
                filter: "\"member_id\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_purchases_partner_id_receipt_id",
                table: "purchases",
                columns: new[] { "partner_id", "receipt_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_returns_purchase_id_return_id",
                table: "returns",
                columns: new[] { "purchase_id", "return_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_reward_orders_programme_id_status_placed_at",
                table: "reward_orders",
                columns: new[] { "programme_id", "status", "placed_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rewards_programme_id_code",
                table: "rewards",
                columns: new[] { "programme_id", "code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_rules_programme_id_code",
                table: "rules",
                columns: new[] { "programme_id", "code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sign_in_codes_link_hash",
                table: "sign_in_codes",
                column: "link_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sign_in_codes_programme_id_member_id_created_at",
                table: "sign_in_codes",
                columns: new[] { "programme_id", "member_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_staff_users_programme_id_email_key",
                table: "staff_users",
                columns: new[] { "programme_id", "email_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_stores_programme_id_code",
                table: "stores",
                columns: new[] { "programme_id", "code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_web_sessions_programme_id_subject_id",
                table: "web_sessions",
                columns: new[] { "programme_id", "subject_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "audit_entries");

            migrationBuilder.DropTable(
                name: "cards");

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "idempotency_records");

            migrationBuilder.DropTable(
                name: "ledger_entries");

            migrationBuilder.DropTable(
                name: "lot_draws");

            migrationBuilder.DropTable(
                name: "member_credentials");

            migrationBuilder.DropTable(
                name: "members");

            migrationBuilder.DropTable(
                name: "partners");

            migrationBuilder.DropTable(
                name: "point_lots");

            migrationBuilder.DropTable(
                name: "programme_changes");

            migrationBuilder.DropTable(
                name: "programmes");

            migrationBuilder.DropTable(
                name: "purchase_lines");

            migrationBuilder.DropTable(
                name: "returns");

            migrationBuilder.DropTable(
                name: "reward_orders");

            migrationBuilder.DropTable(
                name: "rewards");

            migrationBuilder.DropTable(
                name: "rules");

            migrationBuilder.DropTable(
                name: "sign_in_codes");

            migrationBuilder.DropTable(
                name: "staff_users");

            migrationBuilder.DropTable(
                name: "stores");

            migrationBuilder.DropTable(
                name: "web_sessions");

            migrationBuilder.DropTable(
                name: "ledger_transactions");

            migrationBuilder.DropTable(
                name: "purchases");
        }
    }
}
