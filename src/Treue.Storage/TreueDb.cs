using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;
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
    public DbSet<CampaignRecord> Campaigns => Set<CampaignRecord>();
    public DbSet<StampCardRecord> StampCards => Set<StampCardRecord>();
    public DbSet<CouponCode> CouponCodes => Set<CouponCode>();
    public DbSet<CampaignUsageRecord> CampaignUsage => Set<CampaignUsageRecord>();
    public DbSet<CampaignMemberUse> CampaignMemberUses => Set<CampaignMemberUse>();
    public DbSet<CouponRedemption> CouponRedemptions => Set<CouponRedemption>();
    public DbSet<PurchasePromotion> PurchasePromotions => Set<PurchasePromotion>();
    public DbSet<MemberStampCard> MemberStampCards => Set<MemberStampCard>();
    public DbSet<CodeAttempt> CodeAttempts => Set<CodeAttempt>();
    public DbSet<MemberTier> MemberTiers => Set<MemberTier>();
    public DbSet<TierActivity> TierActivity => Set<TierActivity>();
    public DbSet<TierHistoryRecord> TierHistory => Set<TierHistoryRecord>();
    public DbSet<MemberReferralCode> ReferralCodes => Set<MemberReferralCode>();
    public DbSet<ReferralRecord> Referrals => Set<ReferralRecord>();
    public DbSet<ConsentRecord> ConsentRecords => Set<ConsentRecord>();
    public DbSet<DataRequest> DataRequests => Set<DataRequest>();
    public DbSet<RetentionWarning> RetentionWarnings => Set<RetentionWarning>();
    public DbSet<PrivacySettings> PrivacySettings => Set<PrivacySettings>();
    public DbSet<SettlementSettings> SettlementSettings => Set<SettlementSettings>();
    public DbSet<PartnerEconomics> PartnerEconomics => Set<PartnerEconomics>();
    public DbSet<SettlementRun> SettlementRuns => Set<SettlementRun>();
    public DbSet<SettlementStatement> SettlementStatements => Set<SettlementStatement>();
    public DbSet<SettlementClaim> SettlementClaims => Set<SettlementClaim>();
    public DbSet<TriggerRecord> Triggers => Set<TriggerRecord>();
    public DbSet<TriggerFiring> TriggerFirings => Set<TriggerFiring>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<MailSettings> MailSettings => Set<MailSettings>();
    public DbSet<MailTemplateText> MailTemplates => Set<MailTemplateText>();
    /// <summary>
    /// The Data Protection key ring that protects the cookies and antiforgery tokens, shared here so that every server
    /// node on the database reads the cookies of every other.
    /// </summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>
    /// Tables SQLite stores <c>WITHOUT ROWID</c> (see <see cref="CompactSqliteMigrations"/>): purchase lines are found by
    /// their purchase, so the table ordered by (purchase, line) needs no index beside it.
    /// </summary>
    public static readonly IReadOnlySet<string> WithoutRowIdTables = new HashSet<string>(StringComparer.Ordinal) { "purchase_lines" };

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
            e.Property(x => x.PromotionStacking).HasConversion(Json<Domain.Promotions.PromotionStacking?>()).Metadata.SetMaxLength(null);
            e.Property(x => x.Tiers).HasConversion(Json<Domain.Tiers.TierScheme?>()).Metadata.SetMaxLength(null);
            e.Property(x => x.Referrals).HasConversion(Json<Domain.Referrals.ReferralTerms?>()).Metadata.SetMaxLength(null);
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
        // Indexes of member data lead with the member, not the programme: a member belongs to one programme, so the
        // programme adds nothing to the key but 16 bytes per entry. See "Storage model" in docs/operations.md.
        b.Entity<Purchase>(e =>
        {
            // The partner's own receipt id is the natural idempotency key of a purchase; a partner belongs to one programme.
            e.HasIndex(x => new { x.PartnerId, x.ReceiptId }).IsUnique();
            // A member's purchases by time; anonymous purchases are never looked up this way.
            e.HasIndex(x => new { x.MemberId, x.OccurredAt }).HasFilter("\"member_id\" IS NOT NULL");
            e.HasMany(x => x.Lines).WithOne().HasForeignKey(x => x.PurchaseId);
            e.Property(x => x.Fingerprint).HasConversion(Sha256());
            e.Property(x => x.Bonuses).HasConversion(Contributions(), ListComparer<Contribution>());
        });
        b.Entity<PurchaseLine>(e =>
        {
            e.HasKey(x => new { x.PurchaseId, x.LineNo });
            e.Property(x => x.Quantity).HasPrecision(18, 3);
            e.Property(x => x.ReturnedQuantity).HasPrecision(18, 3);
            e.Property(x => x.Contributions).HasConversion(Contributions(), ListComparer<Contribution>());
        });
        b.Entity<PurchaseReturn>(e =>
        {
            e.HasIndex(x => new { x.PurchaseId, x.ReturnId }).IsUnique();
            e.Property(x => x.Fingerprint).HasConversion(Sha256());
            e.Property(x => x.Lines).HasConversion(Json<List<ReturnedLine>>(), ListComparer<ReturnedLine>());
        });
        b.Entity<LedgerTransaction>(e =>
        {
            // Most transactions (every purchase's earning) have no key of their own and take no entry here.
            e.HasIndex(x => new { x.ProgrammeId, x.IdempotencyKey }).IsUnique().HasFilter("\"idempotency_key\" IS NOT NULL");
            e.HasIndex(x => new { x.MemberId, x.Id });
            e.HasMany(x => x.Entries).WithOne().HasForeignKey(x => x.TransactionId);
            e.HasMany(x => x.Draws).WithOne().HasForeignKey(x => x.TransactionId);
            e.Property(x => x.Explanation).HasConversion(Contributions(), ListComparer<Contribution>());
        });
        // Entries are read through their transaction (the foreign key's index); the reports that sum them by account
        // or member read every entry of the programme anyway, so indexes by member or account would only cost.
        b.Entity<LedgerEntry>();
        b.Entity<PointLot>(e =>
        {
            e.HasIndex(x => new { x.MemberId, x.Status });
            e.HasIndex(x => x.PurchaseId).HasFilter("\"purchase_id\" IS NOT NULL");
            // The two jobs: pending lots that become available, and lots with points that expire. A partial index
            // holds only the lots a job can still pick, not the closed history.
            e.HasIndex(x => x.AvailableAt).HasFilter($"\"status\" = {(int)LotStatus.Pending}").HasDatabaseName("ix_point_lots_pending_due");
            e.HasIndex(x => x.ExpiresAt).HasFilter($"\"status\" = {(int)LotStatus.Available} AND \"remaining\" > 0 AND \"expires_at\" IS NOT NULL")
                .HasDatabaseName("ix_point_lots_expiring");
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
        });
        b.Entity<AuditEntry>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.At });
            e.Property(x => x.Actor).HasMaxLength(320);
            e.Property(x => x.Address).HasMaxLength(64);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.Target).HasMaxLength(320);
        });
        // Promotions (see docs/promotions.md, "Storage"): definitions as JSON per programme; counters raised only by guarded
        // updates; member-owned rows keyed by programme and member.
        b.Entity<CampaignRecord>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.Id });
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Definition).HasConversion(Json<Domain.Promotions.Campaign>()).Metadata.SetMaxLength(null);
        });
        b.Entity<StampCardRecord>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.Id });
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Definition).HasConversion(Json<Domain.Promotions.StampCardDefinition>()).Metadata.SetMaxLength(null);
        });
        b.Entity<CouponCode>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.Code });
            e.Property(x => x.Code).HasMaxLength(64);
            e.Property(x => x.CampaignId).HasMaxLength(64);
            e.HasIndex(x => new { x.ProgrammeId, x.CampaignId });
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId }).HasFilter("\"member_id\" IS NOT NULL");
        });
        b.Entity<CampaignUsageRecord>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.CampaignId });
            e.Property(x => x.CampaignId).HasMaxLength(64);
        });
        b.Entity<CodeAttempt>(e =>
        {
            e.HasKey(x => new { x.Partition, x.WindowStart });
            e.Property(x => x.Partition).HasMaxLength(16);
        });
        b.Entity<CampaignMemberUse>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.MemberId, x.CampaignId });
            e.Property(x => x.CampaignId).HasMaxLength(64);
        });
        b.Entity<CouponRedemption>(e =>
        {
            e.HasIndex(x => x.PurchaseId);
            e.HasIndex(x => new { x.ProgrammeId, x.CampaignId });
            e.Property(x => x.CampaignId).HasMaxLength(64);
            e.Property(x => x.Code).HasMaxLength(64);
        });
        b.Entity<PurchasePromotion>(e =>
        {
            e.HasKey(x => x.PurchaseId);
            e.Property(x => x.Original).HasConversion(Json<List<Domain.Earning.BasketLine>>(), ListComparer<Domain.Earning.BasketLine>()).Metadata.SetMaxLength(null);
            e.Property(x => x.Steps).HasConversion(Json<List<Domain.Promotions.PricingStep>>(), ListComparer<Domain.Promotions.PricingStep>()).Metadata.SetMaxLength(null);
            e.Property(x => x.Stamps).HasConversion(Json<Dictionary<string, int>>(), new ValueComparer<Dictionary<string, int>>(
                (a, b) => a != null && b != null && a.Count == b.Count && !a.Except(b).Any(), v => v.Count, v => new Dictionary<string, int>(v)));
        });
        b.Entity<MemberStampCard>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.MemberId, x.CardId });
            e.Property(x => x.CardId).HasMaxLength(64);
            e.Property(x => x.State).HasConversion(Json<Domain.Promotions.StampCardState>()).Metadata.SetMaxLength(null);
        });
        // Tiers (see docs/tiers.md): the member's standing, the qualifying entries (status points apart from spendable
        // points) and the history, each keyed by programme and member.
        b.Entity<MemberTier>(e =>
        {
            e.HasKey(x => new { x.ProgrammeId, x.MemberId });
            e.Property(x => x.Level).HasMaxLength(64);
            e.Property(x => x.ManualLevel).HasMaxLength(64);
            e.Property(x => x.ManualReason).HasMaxLength(500);
            e.Property(x => x.Undo).HasConversion(Json<Domain.Tiers.TierUndo?>()).Metadata.SetMaxLength(null);
            // The review finds the periods that have ended.
            e.HasIndex(x => new { x.ProgrammeId, x.HeldUntil });
        });
        b.Entity<TierActivity>(e =>
        {
            e.ToTable("tier_activity");
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.OccurredAt });
            e.Property(x => x.Reference).HasMaxLength(100);
        });
        b.Entity<TierHistoryRecord>(e =>
        {
            e.ToTable("tier_history");
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.At });
            e.Property(x => x.FromLevel).HasMaxLength(64);
            e.Property(x => x.ToLevel).HasMaxLength(64);
            e.Property(x => x.Note).HasMaxLength(500);
            e.Property(x => x.Reference).HasMaxLength(100);
            e.Property(x => x.Actor).HasMaxLength(200);
        });
        // Referrals (see docs/referrals.md): a member's code, found by the code at enrolment; a referral keyed by its new
        // member, found by the referrer for the limit and the statistics, and by its state and day for the settling job.
        b.Entity<MemberReferralCode>(e =>
        {
            e.ToTable("member_referral_codes");
            e.HasKey(x => new { x.ProgrammeId, x.MemberId });
            e.HasIndex(x => new { x.ProgrammeId, x.Code }).IsUnique();
            e.Property(x => x.Code).HasMaxLength(64);
            e.Property(x => x.PaymentReferenceHash).HasMaxLength(32);
        });
        b.Entity<ReferralRecord>(e =>
        {
            e.ToTable("referrals");
            e.HasKey(x => new { x.ProgrammeId, x.MemberId });
            e.HasIndex(x => new { x.ProgrammeId, x.ReferrerId, x.EnrolledOn });
            e.HasIndex(x => new { x.ProgrammeId, x.Status, x.RewardOn });
            e.Property(x => x.Code).HasMaxLength(64);
            e.Property(x => x.Reason).HasMaxLength(64);
            e.Property(x => x.PurchaseReference).HasMaxLength(100);
            e.Property(x => x.ReferrerCampaignId).HasMaxLength(64);
            e.Property(x => x.NewMemberCampaignId).HasMaxLength(64);
        });
        // Privacy (see docs/privacy.md): a member's records are read by member, open requests and warnings by programme.
        b.Entity<ConsentRecord>(e =>
        {
            e.HasIndex(x => new { x.MemberId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.Id });
            e.Property(x => x.TextVersion).HasMaxLength(32);
            e.Property(x => x.RecordedBy).HasMaxLength(320);
        });
        b.Entity<DataRequest>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.CompletedAt, x.DueAt });
            e.HasIndex(x => new { x.MemberId, x.ReceivedAt });
            e.Property(x => x.Note).HasMaxLength(500);
            e.Property(x => x.RecordedBy).HasMaxLength(320);
            e.Property(x => x.CompletedBy).HasMaxLength(320);
        });
        b.Entity<RetentionWarning>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.WarnedAt });
        });
        b.Entity<PrivacySettings>(e =>
        {
            e.HasKey(x => x.ProgrammeId);
            e.Property(x => x.ConsentTextVersion).HasMaxLength(32);
        });
        // Settlement (see docs/coalition.md): one run per period, its statements by run, claims by transaction.
        b.Entity<SettlementSettings>(e => e.HasKey(x => x.ProgrammeId));
        b.Entity<PartnerEconomics>(e =>
        {
            e.HasKey(x => x.PartnerId);
            e.HasIndex(x => x.ProgrammeId);
            e.Property(x => x.IssuePrice).HasPrecision(18, 6);
            e.Property(x => x.RedemptionPrice).HasPrecision(18, 6);
            e.Property(x => x.FeePerPoint).HasPrecision(18, 6);
            e.Property(x => x.FeePercent).HasPrecision(9, 4);
        });
        b.Entity<SettlementRun>(e =>
        {
            e.HasIndex(x => new { x.ProgrammeId, x.Kind, x.StartDay }).IsUnique();
            e.Property(x => x.Label).HasMaxLength(16);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.Property(x => x.ComputedBy).HasMaxLength(320);
            e.Property(x => x.ClosedBy).HasMaxLength(320);
            e.HasMany(x => x.Statements).WithOne().HasForeignKey(x => x.RunId);
        });
        b.Entity<SettlementStatement>(e =>
        {
            e.HasIndex(x => new { x.RunId, x.PartnerId }).IsUnique();
            e.HasIndex(x => new { x.ProgrammeId, x.PartnerId });
            e.Property(x => x.PartnerCode).HasMaxLength(200);
            e.Property(x => x.PartnerName).HasMaxLength(200);
            e.Property(x => x.IssuePrice).HasPrecision(18, 6);
            e.Property(x => x.RedemptionPrice).HasPrecision(18, 6);
            e.Property(x => x.FeePerPoint).HasPrecision(18, 6);
            e.Property(x => x.FeePercent).HasPrecision(9, 4);
        });
        b.Entity<SettlementClaim>(e =>
        {
            e.HasKey(x => x.TransactionId);
            e.Property(x => x.TransactionId).ValueGeneratedNever();
            e.HasIndex(x => x.RunId);
        });
        // Triggers (see docs/triggers.md): definitions as JSON per programme; one firing per trigger, member and occasion
        // under a unique key; the outbox read by member, by programme and by the sender (queued messages that are due).
        b.Entity<TriggerRecord>(e =>
        {
            e.ToTable("triggers");
            e.HasKey(x => new { x.ProgrammeId, x.Id });
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Definition).HasConversion(Json<Domain.Triggers.TriggerDefinition>()).Metadata.SetMaxLength(null);
        });
        b.Entity<TriggerFiring>(e =>
        {
            e.ToTable("trigger_firings");
            e.HasIndex(x => new { x.ProgrammeId, x.TriggerId, x.MemberId, x.Occasion }).IsUnique();
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.TriggerId, x.Period });
            e.Property(x => x.TriggerId).HasMaxLength(64);
            e.Property(x => x.Occasion).HasMaxLength(100);
            e.Property(x => x.Period).HasMaxLength(16);
            e.Property(x => x.CouponCode).HasMaxLength(64);
        });
        b.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox_messages");
            e.HasIndex(x => new { x.ProgrammeId, x.MemberId, x.Id });
            e.HasIndex(x => new { x.ProgrammeId, x.Id });
            e.HasIndex(x => x.NextAttemptAt).HasFilter($"\"state\" = {(int)OutboxState.Queued}").HasDatabaseName("ix_outbox_messages_due");
            e.Property(x => x.Template).HasMaxLength(64);
            e.Property(x => x.Language).HasMaxLength(8);
            e.Property(x => x.Data).HasMaxLength(4000);
            e.Property(x => x.Source).HasMaxLength(100);
            e.Property(x => x.Reason).HasMaxLength(500);
        });
        // E-mail (see docs/email.md): a programme's SMTP server, and its own texts for the built-in templates.
        b.Entity<MailSettings>(e =>
        {
            e.ToTable("mail_settings");
            e.HasKey(x => x.ProgrammeId);
            e.Property(x => x.Host).HasMaxLength(253);
            e.Property(x => x.UserName).HasMaxLength(254);
            e.Property(x => x.ProtectedPassword).HasMaxLength(2000);
            e.Property(x => x.FromAddress).HasMaxLength(254);
            e.Property(x => x.FromName).HasMaxLength(200);
            e.Property(x => x.ReplyTo).HasMaxLength(254);
        });
        b.Entity<MailTemplateText>(e =>
        {
            e.ToTable("mail_templates");
            e.HasKey(x => new { x.ProgrammeId, x.Template, x.Language });
            e.Property(x => x.Template).HasMaxLength(64);
            e.Property(x => x.Language).HasMaxLength(8);
            e.Property(x => x.Subject).HasMaxLength(200);
            e.Property(x => x.Body).HasMaxLength(20000);
            e.Property(x => x.UpdatedBy).HasMaxLength(200);
        });
        // A key's XML grows beyond the usual text bound when it is encrypted at rest (with a certificate, say).
        b.Entity<DataProtectionKey>(e => e.Property(x => x.Xml).Metadata.SetMaxLength(null));

        var sqlite = IsSqliteOptions(options);
        b.HasDbFunction(typeof(TreueDb).GetMethod(nameof(UtcMonth))!).HasTranslation(args => UtcMonthSql(args[0], sqlite));

        foreach (var entity in b.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                // Small integers: a status or a kind costs one byte (SQLite) or two (PostgreSQL) instead of its name.
                // The stored number is the member's position, so members of these enums are only ever appended.
                var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
                if (type.IsEnum) property.SetProviderClrType(typeof(short));
            }
        }
        ApplySnakeCase(b);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder c)
    {
        c.Properties<string>().HaveMaxLength(2000);
        if (IsSqliteOptions(options))
        {
            // SQLite has no types of its own for these: EF Core's defaults are 36 characters of text for an id and
            // 27 for a time. A 16-byte blob and an 8-byte integer keep the same order (see the converters) at a third
            // of the size, in every row and in every index entry. The default type mappings convert values that no
            // property types (a function's argument); EF Core maps raw SQL parameters ({memberId} in an interpolated
            // query) by their .NET type alone, so StorageSetup's command interceptor converts those.
            c.Properties<Guid>().HaveConversion<GuidBytes>();
            c.Properties<Guid?>().HaveConversion<GuidBytes>();
            c.Properties<DateTime>().HaveConversion<UnixMicroseconds>();
            c.Properties<DateTime?>().HaveConversion<UnixMicroseconds>();
            c.DefaultTypeMapping<Guid>().HasConversion<GuidBytes>();
            c.DefaultTypeMapping<DateTime>().HasConversion<UnixMicroseconds>();
        }
        else
        {
            // PostgreSQL keeps uuid and timestamptz; Npgsql insists on UTC for timestamptz, and Treue's times are UTC.
            c.Properties<DateTime>().HaveConversion<UtcConverter>();
            c.Properties<DateTime?>().HaveConversion<UtcConverter>();
        }
    }

    /// <summary>True when the options configure the SQLite provider (the model is built per provider).</summary>
    private static bool IsSqliteOptions(DbContextOptions options) =>
        options.Extensions.Any(e => e is Microsoft.EntityFrameworkCore.Infrastructure.RelationalOptionsExtension
            && e.GetType().Assembly.GetName().Name == "Microsoft.EntityFrameworkCore.Sqlite");

    /// <summary>
    /// The month of a UTC time as <c>yyyy-MM</c>, computed by the database, for reports that group by month. A time
    /// stored as a number on SQLite has no date parts of its own, so <c>DateTime.Year</c> does not translate there.
    /// </summary>
    public static string UtcMonth(DateTime utc) => throw new InvalidOperationException($"{nameof(UtcMonth)} runs only in a query.");

    private static readonly StringTypeMapping Text = new("TEXT", System.Data.DbType.String);

    private static SqlExpression UtcMonthSql(SqlExpression time, bool sqlite)
    {
        SqlExpression Literal(string value) => new SqlConstantExpression(value, Text);
        if (sqlite)
        {
            // strftime('%Y-%m', t / 1000000, 'unixepoch'): the stored microseconds as Unix seconds.
            var seconds = new SqlBinaryExpression(System.Linq.Expressions.ExpressionType.Divide, time,
                new SqlConstantExpression(1_000_000L, new LongTypeMapping("INTEGER")), typeof(long), new LongTypeMapping("INTEGER"));
            return new SqlFunctionExpression("strftime", [Literal("%Y-%m"), seconds, Literal("unixepoch")], nullable: true,
                argumentsPropagateNullability: [false, true, false], typeof(string), Text);
        }
        // to_char(timezone('UTC', t), 'YYYY-MM'): in UTC whatever the session's time zone.
        var utc = new SqlFunctionExpression("timezone", [Literal("UTC"), time], nullable: true,
            argumentsPropagateNullability: [false, true], typeof(DateTime), time.TypeMapping);
        return new SqlFunctionExpression("to_char", [utc, Literal("YYYY-MM")], nullable: true,
            argumentsPropagateNullability: [true, false], typeof(string), Text);
    }

    /// <summary>A SHA-256 in (lower-case) hex as its 32 bytes: half the size in every purchase and return.</summary>
    private static ValueConverter<string, byte[]> Sha256() => new(
        v => Convert.FromHexString(v),
        v => Convert.ToHexStringLower(v));

    private static ValueConverter<List<Contribution>, string> Contributions() => new(
        v => StoredContributions.Write(v),
        v => StoredContributions.Read(v));

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        ChangeTracker.DetectChanges();
        EarnExplanations.Compact(this);
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        ChangeTracker.DetectChanges();
        EarnExplanations.Compact(this);
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
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

    /// <summary>
    /// A <see cref="Guid"/> as its 16 bytes in big-endian (RFC 9562) order: a blob compares byte by byte, so
    /// version-7 ids sort by their time, as they did as text, and as <c>uuid</c> sorts on PostgreSQL.
    /// </summary>
    private sealed class GuidBytes() : ValueConverter<Guid, byte[]>(v => StoredId(v), v => FromBytes(v))
    {
        private static Guid FromBytes(byte[] v) => new(v, bigEndian: true);
    }

    /// <summary>An id as SQLite stores it: 16 bytes, big-endian.</summary>
    public static byte[] StoredId(Guid id) => id.ToByteArray(bigEndian: true);

    /// <summary>A UTC time as SQLite stores it: whole microseconds since 1970-01-01 (earlier times round down).</summary>
    public static long StoredTime(DateTime time) =>
        Math.DivRem((time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime()).Ticks - DateTime.UnixEpoch.Ticks, 10, out var rest) - (rest < 0 ? 1 : 0);

    /// <summary>The UTC time that SQLite stores as <paramref name="microseconds"/> since 1970-01-01 (see <see cref="StoredTime"/>).</summary>
    public static DateTime FromStoredTime(long microseconds) => new(DateTime.UnixEpoch.Ticks + microseconds * 10, DateTimeKind.Utc);

    /// <summary>
    /// A UTC time as whole microseconds since 1970-01-01: the precision the API promises and PostgreSQL keeps, so
    /// both databases return the same value. Unix time rather than .NET ticks so that SQLite's own date functions
    /// read it (<c>datetime(x / 1000000, 'unixepoch')</c>); either takes 8 bytes.
    /// </summary>
    private sealed class UnixMicroseconds() : ValueConverter<DateTime, long>(v => StoredTime(v), v => FromStoredTime(v));

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
