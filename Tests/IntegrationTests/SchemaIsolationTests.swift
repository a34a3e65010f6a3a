import PostgresNIO
import Testing

/// Each service logs in as its own role, which owns its schema and has no rights on the others.
@Suite struct SchemaIsolationTests {
    @Test func paymentsCannotReadInsuranceTables() async throws {
        try await TestServers.withClient(try TestServers.database(user: "insurance", password: "insurance-dev-password")) {
            try await $0.query("CREATE TABLE IF NOT EXISTS insurance.isolation_probe (secret text)")
        }
        let error = await #expect(throws: PSQLError.self) {
            try await TestServers.withClient(try TestServers.database(user: "payments", password: "payments-dev-password")) {
                try await $0.query("SELECT * FROM insurance.isolation_probe")
            }
        }
        #expect(error?.serverInfo?[.sqlState] == "42501", "expected 'permission denied', got \(String(reflecting: error))")
    }

    @Test func servicesCannotCreateTablesOutsideTheirSchema() async throws {
        let error = await #expect(throws: PSQLError.self) {
            try await TestServers.withClient(try TestServers.database(user: "analytics", password: "analytics-dev-password")) {
                try await $0.query("CREATE TABLE public.sneaky (x int)")
            }
        }
        #expect(error?.serverInfo?[.sqlState] == "42501")
    }
}
