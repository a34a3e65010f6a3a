import Foundation
public import Logging
public import PostgresNIO

/// `Idempotency-Key`s of HTTP writes: per (clinic, key) the request's fingerprint and the first answer,
/// written in the same transaction as the write's effect.
public enum IdempotencyKeys {
    public static let migrations = [
        Migration(2, "idempotency keys", [
            """
            CREATE TABLE idempotency_keys (
                clinic_id text NOT NULL,
                key text NOT NULL,
                fingerprint text NOT NULL,
                response_status int NOT NULL,
                response_body text NOT NULL,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (clinic_id, key))
            """,
            "CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at)",
        ]),
    ]

    public struct StoredAnswer: Sendable {
        public var fingerprint: String
        public var status: Int
        public var body: String

        public init(fingerprint: String, status: Int, body: String) {
            self.fingerprint = fingerprint
            self.status = status
            self.body = body
        }
    }

    /// The answer stored under the key, waiting (up to `wait`) for a concurrent request with the same key
    /// to finish. `nil`: the key is new. Throws `InProgress` when the other request takes longer.
    /// Must run inside a transaction; it takes the key's row lock until that transaction ends.
    public static func claim(clinicId: String, key: String, on connection: PostgresConnection, logger: Logger,
                             wait: Duration = .seconds(10)) async throws -> StoredAnswer? {
        let milliseconds = max(1, wait.components.seconds * 1_000 + wait.components.attoseconds / 1_000_000_000_000_000)
        try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(milliseconds)"), logger: logger)
        // Taking the key's advisory lock first serialises requests with one key; the holder answers
        // before the next looks.
        do {
            // Reading the result is what surfaces the lock timeout (55P03) here rather than on the next query.
            _ = try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('clinicledger.idempotency:' || \(clinicId) || ':' || \(key)))",
                logger: logger).collect()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            throw InProgress()
        }
        // The wait applies to the key only, not to the row locks the route takes afterwards.
        try await connection.query("SET LOCAL lock_timeout = 0", logger: logger)
        for try await (fingerprint, status, body) in try await connection.query("""
            SELECT fingerprint, response_status, response_body FROM idempotency_keys
            WHERE clinic_id = \(clinicId) AND key = \(key)
            """, logger: logger).decode((String, Int, String).self)
        {
            return StoredAnswer(fingerprint: fingerprint, status: status, body: body)
        }
        return nil
    }

    public struct InProgress: Error {}

    /// Stores the first answer, in the transaction that made the effect.
    public static func store(clinicId: String, key: String, answer: StoredAnswer, at now: Date,
                             on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO idempotency_keys (clinic_id, key, fingerprint, response_status, response_body, created_at)
            VALUES (\(clinicId), \(key), \(answer.fingerprint), \(answer.status), \(answer.body), \(now))
            """, logger: logger)
    }

    /// Forgets keys older than `keep` (at least 24 h); returns how many.
    @discardableResult
    public static func prune(olderThan cutoff: Date, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < \(cutoff) RETURNING 1) SELECT count(*)::bigint FROM gone",
            logger: logger)
        return Int(try await rows.collect().first?.decode(Int64.self) ?? 0)
    }
}
