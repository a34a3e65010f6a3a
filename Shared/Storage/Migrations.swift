public import Logging
public import PostgresNIO

/// One versioned change to a service's schema. Statements run in order, in one transaction.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]

    public init(_ version: Int, _ name: String, _ statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Applies a component's migrations that are not yet applied. Replicas starting together take turns on
/// an advisory lock, so each migration runs once.
public enum Migrator {
    public static func apply(
        _ migrations: [Migration], component: String, client: PostgresClient, logger: Logger
    ) async throws {
        try await client.inTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('clinicledger.migrations'))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component text NOT NULL, version int NOT NULL, name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query(
                "SELECT version FROM schema_migrations WHERE component = \(component)", logger: logger
            ).decode(Int.self) {
                applied.insert(version)
            }
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (component, version, name)
                    VALUES (\(component), \(migration.version), \(migration.name))
                    """, logger: logger)
                logger.info("applied migration", metadata: [
                    "component": "\(component)", "version": "\(migration.version)", "name": "\(migration.name)",
                ])
            }
        }
    }
}
