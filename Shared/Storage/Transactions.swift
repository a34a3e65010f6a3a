public import Logging
public import PostgresNIO

extension PostgresClient {
    /// BEGIN, `body`, COMMIT; ROLLBACK and rethrow the body's own error if it throws (unlike postgres-nio's
    /// helper, which wraps it), so callers can tell a database outage from a rejected event.
    public func inTransaction<T: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}

/// Whether an error means "the database could not be used" (retry the whole batch later, the events
/// are not at fault) rather than "the database refused what this event asked for".
public enum DatabaseFailure {
    public static func isOutage(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return true }
        // 08: connection exception, 53: insufficient resources, 57: operator intervention (shutdown),
        // 58: system error, 40: serialization failure or deadlock (the batch may simply be tried again).
        return ["08", "53", "57", "58", "40"].contains(String(state.prefix(2)))
    }
}
