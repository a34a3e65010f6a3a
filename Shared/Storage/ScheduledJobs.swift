import Foundation
public import Logging
public import PostgresNIO

/// When each scheduled job of a service runs next. A replica runs a due job only while it holds the
/// job's row lock and moves `next_run_at` in the same transaction, so each due run happens once.
public enum ScheduledJobs {
    public static let migrations = [
        Migration(3, "scheduled jobs", [
            """
            CREATE TABLE scheduled_jobs (
                name text PRIMARY KEY,
                next_run_at timestamptz NOT NULL,
                last_run_at timestamptz,
                runs bigint NOT NULL DEFAULT 0)
            """,
        ]),
    ]

    public enum Turn: Sendable, Equatable {
        /// Due since this time, and locked for this transaction: run it now.
        case due(Date)
        case notDue(next: Date)
        /// Another replica is running it.
        case heldElsewhere
    }

    /// Whether the job is due, locking it for this transaction if so. A job seen for the first time is
    /// due at `firstDue`.
    public static func lockIfDue(_ name: String, now: Date, firstDue: Date, on connection: PostgresConnection,
                                 logger: Logger) async throws -> Turn {
        try await connection.query("""
            INSERT INTO scheduled_jobs (name, next_run_at) VALUES (\(name), \(firstDue)) ON CONFLICT (name) DO NOTHING
            """, logger: logger)
        for try await nextRun in try await connection.query("""
            SELECT next_run_at FROM scheduled_jobs WHERE name = \(name) FOR UPDATE SKIP LOCKED
            """, logger: logger).decode(Date.self)
        {
            return nextRun <= now ? .due(nextRun) : .notDue(next: nextRun)
        }
        return .heldElsewhere
    }

    /// Moves a job's next due time without running it.
    public static func reschedule(_ name: String, next: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE scheduled_jobs SET next_run_at = \(next) WHERE name = \(name)", logger: logger)
    }

    public static func markRan(_ name: String, at now: Date, next: Date, on connection: PostgresConnection,
                               logger: Logger) async throws {
        try await connection.query("""
            UPDATE scheduled_jobs SET last_run_at = \(now), next_run_at = \(next), runs = runs + 1 WHERE name = \(name)
            """, logger: logger)
    }
}
