using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Treue.Storage.Postgres.Migrations
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
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "code_attempts",
                columns: table => new
                {
                    partition = table.Column<byte[]>(type: "bytea", maxLength: 16, nullable: false),
                    window_start = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    failures = table.Column<int>(type: "integer", nullable: false)
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
