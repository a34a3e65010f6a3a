import Foundation
import Logging
import PostgresNIO
import Storage
import Testing

/// The migrator on the real Postgres. Each test works in a scratch schema of its own (dropped
/// afterwards, with its schema_migrations) under a component name of its own.
@Suite struct MigratorTests {
    let logger = TestServers.logger

    /// A throwaway component name, new on every run.
    func component() -> String { "migrator-test-\(UUID().uuidString.prefix(8).lowercased())" }

    func appliedVersions(_ component: String, _ client: PostgresClient) async throws -> [Int: String] {
        var applied: [Int: String] = [:]
        for try await (version, name) in try await client.query(
            "SELECT version, name FROM schema_migrations WHERE component = \(component)", logger: logger
        ).decode((Int, String).self) {
            applied[version] = name
        }
        return applied
    }

    func tableExists(_ name: String, _ client: PostgresClient) async throws -> Bool {
        try await client.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: logger).collect().first?.decode(Bool.self) ?? false
    }

    @Test func aVersionTakenByAnotherMigrationFailsLoudlyAndChangesNothing() async throws {
        let component = component()
        try await TestServers.withScratchSchema { client in
            try await Migrator.apply([Migration(1, "journal of received events", ["CREATE TABLE journal (id int)"])],
                                     component: component, client: client, logger: logger)
            let thisBuild = [
                Migration(1, "charges, ledger and balances", ["CREATE TABLE charges (id int)"]),
                Migration(2, "charge notes", ["CREATE TABLE notes (id int)"]),
            ]
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator.apply(thisBuild, component: component, client: client, logger: logger)
            }
            #expect(error == .nameMismatch(component: component, version: 1, applied: "journal of received events",
                                           inCode: "charges, ledger and balances"))
            let message = error.map { "\($0)" } ?? ""
            #expect(message.hasPrefix("schema_migrations says \(component) version 1 is 'journal of received events', "
                + "but this build's migration 1 is 'charges, ledger and balances': "), "\(message)")
            #expect(message.contains("a version of its own"), "\(message)")
            // Nothing of this build ran, not even the migration whose version was free.
            #expect(try await appliedVersions(component, client) == [1: "journal of received events"])
            #expect(try await !tableExists("charges", client))
            #expect(try await !tableExists("notes", client))
        }
    }

    @Test func applyingTwiceAppliesOnce() async throws {
        let component = component()
        try await TestServers.withScratchSchema { client in
            let migrations = [
                Migration(2, "count the runs", ["INSERT INTO runs VALUES (1)"]),
                Migration(1, "a table of runs", ["CREATE TABLE runs (n int)"]),
            ]
            try await Migrator.apply(migrations, component: component, client: client, logger: logger)
            try await Migrator.apply(migrations, component: component, client: client, logger: logger)
            #expect(try await appliedVersions(component, client) == [1: "a table of runs", 2: "count the runs"])
            let runs = try await client.query("SELECT count(*) FROM runs", logger: logger).collect().first?.decode(Int.self)
            #expect(runs == 1)

            // A later build adds a migration: only that one runs.
            try await Migrator.apply(migrations + [Migration(3, "count again", ["INSERT INTO runs VALUES (3)"])],
                                     component: component, client: client, logger: logger)
            let total = try await client.query("SELECT sum(n)::int FROM runs", logger: logger).collect().first?.decode(Int.self)
            #expect(total == 4)
        }
    }

    @Test func duplicateVersionsAreRefusedBeforeAnythingRuns() async throws {
        let component = component()
        try await TestServers.withScratchSchema { client in
            try await Migrator.apply([Migration(1, "a table", ["CREATE TABLE a (id int)"])],
                                     component: component, client: client, logger: logger)
            let migrations = [
                Migration(1, "a table", ["CREATE TABLE a (id int)"]),
                Migration(2, "table b", ["CREATE TABLE b (id int)"]),
                Migration(2, "table c", ["CREATE TABLE c (id int)"]),
            ]
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator.apply(migrations, component: component, client: client, logger: logger)
            }
            #expect(error == .duplicateVersion(component: component, version: 2, names: ["table b", "table c"]))
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("version 2") && message.contains("'table b', 'table c'"), "\(message)")
            #expect(try await appliedVersions(component, client) == [1: "a table"])
            #expect(try await !tableExists("b", client))
            #expect(try await !tableExists("c", client))
        }
    }
}
