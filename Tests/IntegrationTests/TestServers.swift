import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import Testing

/// The real RabbitMQ and Postgres that `scripts/dev test` starts. Integration tests fail, loudly and
/// with the fix, when they are not there; they never skip.
enum TestServers {
    static let environment = ProcessInfo.processInfo.environment
    static let logger = Logger(label: "integration-tests")

    static func value(_ name: String) throws -> String {
        guard let value = environment[name], !value.isEmpty else {
            throw SetupError("\(name) is not set: run the integration tests through `scripts/dev test` "
                + "(or source .run/test/env after `CLINICLEDGER_ENV=test scripts/dev up`)")
        }
        return value
    }

    static func broker(exchange: String = "clinicledger.events") throws -> BrokerSettings {
        var settings = BrokerSettings()
        settings.host = "127.0.0.1"
        settings.port = Int(try value("CLINICLEDGER_AMQP_PORT"))!
        settings.exchange = exchange
        settings.retryDelaysMilliseconds = [100]
        return settings
    }

    static func database(user: String, password: String) throws -> PostgresClient.Configuration {
        var settings = DatabaseSettings(user: user, password: password)
        settings.port = Int(try value("CLINICLEDGER_POSTGRES_PORT"))!
        return settings.clientConfiguration
    }

    /// The superuser, through the unix socket (trust authentication, local only).
    static func admin() throws -> PostgresClient.Configuration {
        let socket = try value("CLINICLEDGER_POSTGRES_ADMIN_SOCKET")
        let port = try value("CLINICLEDGER_POSTGRES_PORT")
        return PostgresClient.Configuration(
            unixSocketPath: "\(socket)/.s.PGSQL.\(port)", username: "postgres", password: nil, database: "clinicledger")
    }

    static func withClient<T: Sendable>(
        _ configuration: PostgresClient.Configuration, _ body: (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// A login role with a schema of its own, like a service's, dropped afterwards.
    static func withScratchSchema<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let name = "it_\(UUID().uuidString.prefix(8).lowercased())"
        let password = "\(name)-password"
        try await asAdmin { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(name) LOGIN PASSWORD '\(password)'"), logger: logger)
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(name) AUTHORIZATION \(name)"), logger: logger)
            try await admin.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(name) SET search_path = \(name)"), logger: logger)
            try await admin.query(PostgresQuery(unsafeSQL: "GRANT CONNECT ON DATABASE clinicledger TO \(name)"), logger: logger)
        }
        do {
            let result = try await withClient(try database(user: name, password: password), body)
            try await dropScratch(name)
            return result
        } catch {
            try? await dropScratch(name)
            throw error
        }
    }

    /// Tests run in parallel, and GRANT/REVOKE on the database row clash ("tuple concurrently
    /// updated"): role changes take turns on an advisory lock.
    private static func asAdmin(_ body: @escaping @Sendable (PostgresConnection) async throws -> Void) async throws {
        try await withClient(try admin()) { admin in
            try await admin.inTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('integration-test-roles'))", logger: logger)
                try await body(connection)
            }
        }
    }

    private static func dropScratch(_ name: String) async throws {
        try await asAdmin { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(name) CASCADE"), logger: logger)
            try await admin.query(PostgresQuery(unsafeSQL: "REVOKE CONNECT ON DATABASE clinicledger FROM \(name)"), logger: logger)
            try await admin.query(PostgresQuery(unsafeSQL: "DROP ROLE \(name)"), logger: logger)
        }
    }
}

struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
