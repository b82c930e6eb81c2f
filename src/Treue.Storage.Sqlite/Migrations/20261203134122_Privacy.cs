using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Privacy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "consent_records",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    purpose = table.Column<short>(type: "INTEGER", nullable: true),
                    change = table.Column<short>(type: "INTEGER", nullable: false),
                    source = table.Column<short>(type: "INTEGER", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    text_version = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    recorded_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_records", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "data_requests",
                columns: table => new
                {
                    id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    kind = table.Column<short>(type: "INTEGER", nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    due_at = table.Column<long>(type: "INTEGER", nullable: false),
                    note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    recorded_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    completed_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_requests", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "privacy_settings",
                columns: table => new
                {
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    inactive_days = table.Column<int>(type: "INTEGER", nullable: true),
                    warning_days = table.Column<int>(type: "INTEGER", nullable: false),
                    analytics = table.Column<short>(type: "INTEGER", nullable: false),
                    consent_text_version = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_privacy_settings", x => x.programme_id);
                });

            migrationBuilder.CreateTable(
                name: "retention_warnings",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    programme_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    member_id = table.Column<byte[]>(type: "BLOB", nullable: false),
                    warned_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_activity_at = table.Column<long>(type: "INTEGER", nullable: false),
                    erase_after = table.Column<long>(type: "INTEGER", nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    erased_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_retention_warnings", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_consent_records_member_id_id",
                table: "consent_records",
                columns: new[] { "member_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_consent_records_programme_id_id",
                table: "consent_records",
                columns: new[] { "programme_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_data_requests_member_id_received_at",
                table: "data_requests",
                columns: new[] { "member_id", "received_at" });

            migrationBuilder.CreateIndex(
                name: "ix_data_requests_programme_id_completed_at_due_at",
                table: "data_requests",
                columns: new[] { "programme_id", "completed_at", "due_at" });

            migrationBuilder.CreateIndex(
                name: "ix_retention_warnings_programme_id_member_id_warned_at",
                table: "retention_warnings",
                columns: new[] { "programme_id", "member_id", "warned_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "consent_records");

            migrationBuilder.DropTable(
                name: "data_requests");

            migrationBuilder.DropTable(
                name: "privacy_settings");

            migrationBuilder.DropTable(
                name: "retention_warnings");
        }
    }
}
