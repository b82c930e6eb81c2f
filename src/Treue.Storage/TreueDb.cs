using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Treue.Domain.Earning;
using Treue.Domain.Programmes;
using Treue.Storage.Entities;

namespace Treue.Storage;

/// <summary>The one EF Core model of Treue, shared by SQLite and PostgreSQL.</summary>
public sealed class TreueDb(DbContextOptions<TreueDb> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Programme> Programmes => Set<Programme>();
    public DbSet<Partner> Partners => Set<Partner>();
    public DbSet<Store> Stores => Set<Store>();
    public DbSet<Rule> Rules => Set<Rule>();
    public DbSet<Reward> Rewards => Set<Reward>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<Card> Cards => Set<Card>();
    public DbSet<Purchase> Purchases => Set<Purchase>();
    public DbSet<PurchaseLine> PurchaseLines => Set<PurchaseLine>();
    public DbSet<PurchaseReturn> Returns => Set<PurchaseReturn>();
    public DbSet<LedgerTransaction> LedgerTransactions => Set<LedgerTransaction>();
    public DbSet<LedgerEntry> LedgerEntries => Set<LedgerEntry>();
    public DbSet<PointLot> PointLots => Set<PointLot>();
    public DbSet<LotDrawRecord> LotDraws => Set<LotDrawRecord>();
    public DbSet<RewardOrder> RewardOrders => Set<RewardOrder>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<StaffUser> StaffUsers => Set<StaffUser>();
    public DbSet<MemberCredential> MemberCredentials => Set<MemberCredential>();
    public DbSet<SignInCode> SignInCodes => Set<SignInCode>();
    public DbSet<ProgrammeChange> ProgrammeChanges => Set<ProgrammeChange>();
    public DbSet<WebSession> WebSessions => Set<WebSession>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    /// <summary>
    /// The Data Protection key ring that protects the cookies and antiforgery tokens, shared here so that every server
    /// node on the database reads the cookies of every other.
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>True when the database behind this context is SQLite.</summary>
    public bool IsSqlite => Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Programme>(e =>
        {
            e.HasIndex(x => x.Code).IsUnique();
            e.Property(x => x.Code).HasMaxLength(64);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.Property(x => x.Expiry).HasConversion(Json<ExpiryPolicy>());
            e.Property(x => x.PayWithPoints).HasConversion(Json<PayWithPointsPolicy>());
            e.Property(x => x.PointValue).HasPrecision(18, 6);
            e.Property(x => x.BaseRate).HasPrecision(18, 6);
        });
        b.Entity<Partner>(e => e.HasIndex(x => new { x.ProgrammeId, x.Code }).IsUnique());
        b.Entity<Store>(e => e.HasIndex(x => new { x.ProgrammeId, x.Code }).IsUnique());
        b.Entity<Rule>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.Code }).IsUnique();
            e.Property(x => x.Definition).HasConversion(Json<EarningRule>());
        });
        b.Entity<Reward>(e => e.HasIndex(x => new { x.ProgrammeId, x.Code }).IsUnique());
        b.Entity<Member>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.EmailKey });
            e.HasIndex(x => new { x.ProgrammeId, x.ExternalRef });
            e.HasIndex(x => new { x.ProgrammeId, x.Id });
        });
        b.Entity<Card>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.Number }).IsUnique();
            e.HasIndex(x => x.Token).IsUnique();
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId });
        });
        b.Entity<Purchase>(e =>
        {
            // The partner's own receipt id is the natural idempotency key of a purchase.
            e.HasIndex(x => new { x.ProgrammeId, x.PartnerId, x.ReceiptId }).IsUnique();
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.OccurredAt });
            e.HasMany(x => x.Lines).WithOne().HasForeignKey(x => x.PurchaseId);
            e.Property(x => x.Bonuses).HasConversion(Json<List<Contribution>>(), ListComparer<Contribution>());
        });
        b.Entity<PurchaseLine>(e =>
        {
            e.HasKey(x => new { x.PurchaseId, x.LineNo });
            e.Property(x => x.Quantity).HasPrecision(18, 3);
            e.Property(x => x.ReturnedQuantity).HasPrecision(18, 3);
            e.Property(x => x.Contributions).HasConversion(Json<List<Contribution>>(), ListComparer<Contribution>());
        });
        b.Entity<PurchaseReturn>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.PurchaseId, x.ReturnId }).IsUnique();
            e.Property(x => x.Lines).HasConversion(Json<List<ReturnedLine>>(), ListComparer<ReturnedLine>());
        });
        b.Entity<LedgerTransaction>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.IdempotencyKey }).IsUnique();
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.Id });
            e.HasMany(x => x.Entries).WithOne().HasForeignKey(x => x.TransactionId);
            e.HasMany(x => x.Draws).WithOne().HasForeignKey(x => x.TransactionId);
            e.Property(x => x.Explanation).HasConversion(Json<List<Contribution>>(), ListComparer<Contribution>());
        });
        b.Entity<LedgerEntry>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId });
            e.HasIndex(x => new { x.ProgrammeId, x.Account });
        });
        b.Entity<PointLot>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.Status });
            e.HasIndex(x => x.PurchaseId);
            e.HasIndex(x => new { x.Status, x.AvailableAt });
            e.HasIndex(x => new { x.Status, x.ExpiresAt });
        });
        b.Entity<LotDrawRecord>(e => e.HasIndex(x => x.TransactionId));
        b.Entity<RewardOrder>(e => e.HasIndex(x => new { x.ProgrammeId, x.Status, x.PlacedAt }));
        b.Entity<ApiKey>(e => e.HasIndex(x => x.Hash).IsUnique());
        b.Entity<IdempotencyRecord>(e =>
        {
            e.HasKey(x => new { x.Scope, x.Key });
            e.HasIndex(x => x.CreatedAt);
            e.Property(x => x.Key).HasMaxLength(255);
        });
        b.Entity<StaffUser>(e => e.HasIndex(x => new { x.ProgrammeId, x.EmailKey }).IsUnique());
        b.Entity<MemberCredential>(e =>
        {
            e.HasKey(x => x.MemberId);
            e.HasIndex(x => x.ProgrammeId);
        });
        b.Entity<SignInCode>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.CreatedAt });
            e.HasIndex(x => x.LinkHash).IsUnique();
        });
        b.Entity<ProgrammeChange>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.Id });
            e.Property(x => x.Changes).HasConversion(Json<List<string>>(), ListComparer<string>());
        });
        b.Entity<WebSession>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.SubjectId });
            e.Property(x => x.Kind).HasMaxLength(16);
        });
        b.Entity<AuditEntry>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.At });
            e.Property(x => x.ActorKind).HasMaxLength(16);
            e.Property(x => x.Actor).HasMaxLength(320);
            e.Property(x => x.Address).HasMaxLength(64);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.Target).HasMaxLength(320);
        });
        // A key's XML grows beyond the usual text bound when it is encrypted at rest (with a certificate, say).
        b.Entity<DataProtectionKey>(e => e.Property(x => x.Xml).Metadata.SetMaxLength(null));

        foreach (var entity in b.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.ClrType.IsEnum)
                    property.SetProviderClrType(typeof(string));
            }
        }
        ApplySnakeCase(b);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder c)
    {
        // Npgsql insists on UTC for timestamptz; SQLite stores ISO text. Either way, Treue's times are UTC.
        c.Properties<DateTime>().HaveConversion<UtcConverter>();
        c.Properties<DateTime?>().HaveConversion<UtcConverter>();
        c.Properties<string>().HaveMaxLength(2000);
    }

    private static ValueConverter<T, string> Json<T>() => new(
        v => JsonSerializer.Serialize(v, TreueJson.Options),
        v => JsonSerializer.Deserialize<T>(v, TreueJson.Options)!);

    private static ValueComparer<List<T>> ListComparer<T>() => new(
        (a, b) => a != null && b != null && a.SequenceEqual(b),
        v => v.Aggregate(0, (h, x) => HashCode.Combine(h, x)),
        v => v.ToList());

    private static void ApplySnakeCase(ModelBuilder b)
    {
        foreach (var entity in b.Model.GetEntityTypes())
        {
            entity.SetTableName(Snake(entity.GetTableName()!));
            foreach (var p in entity.GetProperties()) p.SetColumnName(Snake(p.Name));
            foreach (var k in entity.GetKeys()) k.SetName(Snake(k.GetName()!));
            foreach (var fk in entity.GetForeignKeys()) fk.SetConstraintName(Snake(fk.GetConstraintName()!));
            foreach (var ix in entity.GetIndexes()) ix.SetDatabaseName(Snake(ix.GetDatabaseName()!));
        }
    }

    private static string Snake(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && name[i - 1] != '_' && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
                    sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
