/// The tables every service has besides its own: audit trail, idempotency keys, scheduled jobs.
/// One migration component, `platform`, applied before the service's own.
public enum PlatformTables {
    public static let migrations = AuditLog.migrations + IdempotencyKeys.migrations + ScheduledJobs.migrations
}
