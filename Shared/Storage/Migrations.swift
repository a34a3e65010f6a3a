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

/// Why a component's migrations were not applied. Nothing was changed in the database.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    /// schema_migrations records `version` of `component` under another name than this build's
    /// migration of that version: two different changes claim one version number.
    case nameMismatch(component: String, version: Int, applied: String, inCode: String)
    /// The list handed to the migrator has two or more migrations with one version number.
    case duplicateVersion(component: String, version: Int, names: [String])

    public var description: String {
        switch self {
        case .nameMismatch(let component, let version, let applied, let inCode):
            "schema_migrations says \(component) version \(version) is '\(applied)', but this build's migration "
                + "\(version) is '\(inCode)': two different changes claim the same version, and '\(inCode)' has "
                + "never run. Give this build's migration a version of its own (after the highest one applied) "
                + "or its own component name, or restore the name if the migration was only renamed; "
                + "nothing was applied"
        case .duplicateVersion(let component, let version, let names):
            "\(component) has \(names.count) migrations with version \(version) ("
                + names.map { "'\($0)'" }.joined(separator: ", ")
                + "): each migration of a component needs a version of its own; nothing was applied"
        }
    }
}

/// Applies a component's migrations that are not yet applied. Replicas starting together take turns on
/// an advisory lock, so each migration runs once.
///
/// An applied version counts as this build's migration only when its recorded name is the same: if the
/// names differ, two changes took one version number (and one would silently never run), so `apply`
/// throws `MigrationError.nameMismatch` and changes nothing.
public enum Migrator {
    public static func apply(
        _ migrations: [Migration], component: String, client: PostgresClient, logger: Logger
    ) async throws {
        for (version, group) in Dictionary(grouping: migrations, by: \.version).sorted(by: { $0.key < $1.key })
        where group.count > 1 {
            throw MigrationError.duplicateVersion(component: component, version: version, names: group.map(\.name))
        }
        let ordered = migrations.sorted(by: { $0.version < $1.version })
        try await client.inTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('clinicledger.migrations'))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component text NOT NULL, version int NOT NULL, name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))
                """, logger: logger)
            var applied: [Int: String] = [:]
            for try await (version, name) in try await connection.query(
                "SELECT version, name FROM schema_migrations WHERE component = \(component)", logger: logger
            ).decode((Int, String).self) {
                applied[version] = name
            }
            // Every applied version is checked before anything runs, so a mismatch changes nothing.
            for migration in ordered {
                if let name = applied[migration.version], name != migration.name {
                    throw MigrationError.nameMismatch(
                        component: component, version: migration.version, applied: name, inCode: migration.name)
                }
            }
            for migration in ordered where applied[migration.version] == nil {
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
