using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class StackingAndCodeAttempts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "promotion_stacking",
                table: "programmes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "code_attempts",
                columns: table => new
                {
                    partition = table.Column<byte[]>(type: "BLOB", maxLength: 16, nullable: false),
                    window_start = table.Column<long>(type: "INTEGER", nullable: false),
                    failures = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_code_attempts", x => new { x.partition, x.window_start });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "code_attempts");

            migrationBuilder.DropColumn(
                name: "promotion_stacking",
                table: "programmes");
        }
    }
}
