import Crypto
import Foundation
public import Logging
public import PostgresNIO

/// One line of the audit trail (HIPAA 164.312(b)): when, who, what, on which object, and what caused it.
public struct AuditEntry: Sendable {
    public var clinicId: String
    /// `sub` of the token, or `system:<service>` for automated work.
    public var subject: String
    public var role: String
    /// What happened, e.g. `adjustment.created`, `charge.recorded`, `job.ran`.
    public var action: String
    public var objectType: String
    public var objectId: String
    /// A short before/after summary; ids and amounts, never patient names or contact details.
    public var summary: String
    public var requestId: String?
    public var eventId: String?

    public init(clinicId: String, subject: String, role: String, action: String, objectType: String, objectId: String,
                summary: String, requestId: String? = nil, eventId: String? = nil) {
        self.clinicId = clinicId
        self.subject = subject
        self.role = role
        self.action = action
        self.objectType = objectType
        self.objectId = objectId
        self.summary = summary
        self.requestId = requestId
        self.eventId = eventId
    }
}

/// The append-only, hash-chained audit trail each service keeps in its own schema. Writers only insert
/// (a sequence number per row, in the writer's transaction, so writers never queue behind each other);
/// a sealer then appends the committed rows to `audit_chain`: each link's hash is SHA-256 over the
/// previous link's hash and the row's canonical content. Triggers refuse UPDATE, DELETE and TRUNCATE
/// on both tables.
public enum AuditLog {
    public static let migrations = [
        Migration(1, "audit log and its hash chain", [
            """
            CREATE TABLE audit_log (
                seq bigserial PRIMARY KEY,
                recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                clinic_id text NOT NULL,
                subject text NOT NULL,
                role text NOT NULL,
                action text NOT NULL,
                object_type text NOT NULL,
                object_id text NOT NULL,
                summary text NOT NULL,
                request_id text,
                event_id text)
            """,
            "CREATE INDEX audit_log_object ON audit_log (clinic_id, object_id, seq)",
            // The chain: one row per sealed audit row, in the order they were sealed. Also append-only.
            """
            CREATE TABLE audit_chain (
                position bigint PRIMARY KEY,
                seq bigint NOT NULL UNIQUE REFERENCES audit_log (seq),
                prev_hash text NOT NULL,
                hash text NOT NULL)
            """,
            // The canonical content that is hashed: a JSON array of every column.
            """
            CREATE FUNCTION audit_row_content(a audit_log) RETURNS text LANGUAGE sql STABLE AS $$
                SELECT jsonb_build_array(a.seq, to_char(a.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                    a.clinic_id, a.subject, a.role, a.action, a.object_type, a.object_id, a.summary,
                    a.request_id, a.event_id)::text $$
            """,
            """
            CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$
            """,
            """
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_is_append_only()
            """,
            """
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only()
            """,
            """
            CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
            FOR EACH ROW EXECUTE FUNCTION audit_is_append_only()
            """,
            """
            CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
            FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only()
            """,
        ]),
    ]

    static let genesis = String(repeating: "0", count: 64)

    /// Adds entries inside the caller's transaction, in one statement.
    public static func append(_ entries: [AuditEntry], on connection: PostgresConnection, logger: Logger) async throws {
        guard !entries.isEmpty else { return }
        try await connection.query("""
            INSERT INTO audit_log (clinic_id, subject, role, action, object_type, object_id, summary, request_id, event_id)
            SELECT c, s, r, a, t, o, m, NULLIF(q, ''), NULLIF(e, '')
            FROM unnest(\(entries.map(\.clinicId)), \(entries.map(\.subject)), \(entries.map(\.role)),
                        \(entries.map(\.action)), \(entries.map(\.objectType)), \(entries.map(\.objectId)),
                        \(entries.map(\.summary)), \(entries.map { $0.requestId ?? "" }), \(entries.map { $0.eventId ?? "" }))
                 WITH ORDINALITY AS x(c, s, r, a, t, o, m, q, e, n)
            ORDER BY n
            """, logger: logger)
    }

    /// What a sealer remembers between passes: sequence numbers it skipped because they were not
    /// committed yet (a writer still in its transaction, or one that rolled back), so that each pass reads
    /// only new rows and those few, never the whole table.
    public struct SealerMemory: Sendable {
        var gaps: [Int64: Date] = [:]
        /// The first pass looks at every row, so a sealer that starts or takes over misses nothing.
        var lookedAtEverything = false
        /// A skipped number not seen for this long was rolled back: it will never commit.
        static let gapLifetime: TimeInterval = 600

        public init() {}
    }

    /// Chains the committed rows that are not sealed yet, oldest first; returns how many it sealed. One
    /// sealer per schema at a time (a transaction advisory lock): with `wait` false another sealer at work
    /// means 0 now; with `wait` true this one waits for its turn.
    @discardableResult
    public static func seal(client: PostgresClient, logger: Logger, memory: inout SealerMemory, limit: Int = 5_000,
                            wait: Bool = false) async throws -> Int {
        var memo = memory
        let sealed = try await client.inTransaction(logger: logger) { connection in
            let lock: PostgresQuery = wait
                ? "SELECT true FROM (SELECT pg_advisory_xact_lock(hashtext('clinicledger.audit-seal:' || current_schema()))) AS l"
                : "SELECT pg_try_advisory_xact_lock(hashtext('clinicledger.audit-seal:' || current_schema()))"
            guard try await connection.query(lock, logger: logger).collect().first?.decode(Bool.self) == true else { return 0 }
            var position: Int64 = 0
            var previous = genesis
            for try await (last, hash) in try await connection.query(
                "SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1", logger: logger
            ).decode((Int64, String).self) {
                position = last
                previous = hash
            }
            // Rows above the highest sealed number are new; below it, only remembered gaps can be unsealed.
            let lastSeq = try await connection.query("SELECT coalesce(max(seq), 0) FROM audit_chain", logger: logger)
                .collect().first?.decode(Int64.self) ?? 0
            let query: PostgresQuery = memo.lookedAtEverything
                ? """
                  SELECT a.seq, audit_row_content(a) FROM audit_log a
                  WHERE (a.seq > \(lastSeq) OR a.seq = ANY(\(Array(memo.gaps.keys))))
                    AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = a.seq)
                  ORDER BY a.seq LIMIT \(limit)
                  """
                : """
                  SELECT a.seq, audit_row_content(a) FROM audit_log a
                  WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = a.seq)
                  ORDER BY a.seq LIMIT \(limit)
                  """
            var seqs: [Int64] = [], positions: [Int64] = [], prevs: [String] = [], hashes: [String] = []
            for try await (seq, content) in try await connection.query(query, logger: logger).decode((Int64, String).self) {
                position += 1
                let hash = chainHash(previous: previous, content: content)
                seqs.append(seq); positions.append(position); prevs.append(previous); hashes.append(hash)
                previous = hash
            }
            memo.remember(sealed: seqs, after: lastSeq, reachedEnd: seqs.count < limit)
            guard !seqs.isEmpty else { return 0 }
            try await connection.query("""
                INSERT INTO audit_chain (position, seq, prev_hash, hash)
                SELECT * FROM unnest(\(positions), \(seqs), \(prevs), \(hashes))
                """, logger: logger)
            return seqs.count
        }
        memory = memo
        return sealed
    }

    public static func chainHash(previous: String, content: String) -> String {
        Hex.encode(SHA256.hash(data: Array((previous + content).utf8)))
    }

    public enum Verdict: Sendable, Equatable {
        case ok(rows: Int)
        /// The first row that does not match, and why.
        case broken(seq: Int64, position: Int64, reason: String)
    }

    /// Seals what is pending, then walks the whole chain: each link's stored hash must equal SHA-256 over
    /// the previous link's hash and its row's content, positions must run 1, 2, 3… and no row may stay unsealed.
    public static func verify(client: PostgresClient, logger: Logger) async throws -> Verdict {
        var memory = SealerMemory()
        while try await seal(client: client, logger: logger, memory: &memory, wait: true) > 0 {}
        var expectedPosition: Int64 = 1
        var previous = genesis
        let rows = try await client.query("""
            SELECT a.seq, c.position, c.prev_hash, c.hash, audit_row_content(a)
            FROM audit_chain c JOIN audit_log a ON a.seq = c.seq ORDER BY c.position
            """, logger: logger)
        for try await (seq, position, prevHash, hash, content) in rows.decode((Int64, Int64, String, String, String).self) {
            if position != expectedPosition {
                return .broken(seq: seq, position: position, reason: "chain position \(position) follows \(expectedPosition - 1): a link is missing")
            }
            if prevHash != previous {
                return .broken(seq: seq, position: position, reason: "its previous-hash does not match the link before it")
            }
            if chainHash(previous: previous, content: content) != hash {
                return .broken(seq: seq, position: position, reason: "its content does not match its hash (the row was changed)")
            }
            previous = hash
            expectedPosition += 1
        }
        let unsealed = try await client.query("""
            SELECT min(a.seq) FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.seq = a.seq)
            """, logger: logger).collect().first?.decode(Int64?.self) ?? nil
        if let unsealed {
            return .broken(seq: unsealed, position: 0, reason: "the row is not in the chain (it committed too late to be sealed, or a link was deleted)")
        }
        return .ok(rows: Int(expectedPosition - 1))
    }

    /// A stored line: what was written, where it stands, and its hash once sealed.
    public struct Row: Sendable {
        public var seq: Int64
        public var recordedAt: Date
        public var entry: AuditEntry
        public var hash: String?
    }

    /// A clinic's rows about one object (or all), oldest first, after `afterSeq`; `limit` rows at most.
    public static func rows(clinicId: String, objectId: String?, afterSeq: Int64, limit: Int,
                            client: PostgresClient, logger: Logger) async throws -> [Row] {
        var rows: [Row] = []
        let query: PostgresQuery = """
            SELECT a.seq, a.recorded_at, a.subject, a.role, a.action, a.object_type, a.object_id, a.summary, a.request_id,
                   a.event_id, c.hash
            FROM audit_log a LEFT JOIN audit_chain c ON c.seq = a.seq
            WHERE a.clinic_id = \(clinicId) AND (\(objectId)::text IS NULL OR a.object_id = \(objectId)) AND a.seq > \(afterSeq)
            ORDER BY a.seq LIMIT \(limit)
            """
        for try await (seq, at, subject, role, action, type, id, summary, requestId, eventId, hash) in try await client.query(
            query, logger: logger
        ).decode((Int64, Date, String, String, String, String, String, String, String?, String?, String?).self) {
            let entry = AuditEntry(clinicId: clinicId, subject: subject, role: role, action: action, objectType: type,
                                   objectId: id, summary: summary, requestId: requestId, eventId: eventId)
            rows.append(Row(seq: seq, recordedAt: at, entry: entry, hash: hash))
        }
        return rows
    }
}

extension AuditLog.SealerMemory {
    /// After a pass: the numbers above the last sealed one that it did not see are gaps to look at
    /// again; gaps it sealed, or that are too old to be a transaction still running, are forgotten.
    mutating func remember(sealed: [Int64], after lastSeq: Int64, reachedEnd: Bool, now: Date = Date()) {
        let seen = Set(sealed)
        for seq in seen { gaps[seq] = nil }
        if let highest = sealed.max(), highest > lastSeq + 1 {
            for seq in (lastSeq + 1)..<highest where !seen.contains(seq) && gaps[seq] == nil { gaps[seq] = now }
        }
        gaps = gaps.filter { now.timeIntervalSince($0.value) < Self.gapLifetime }
        if reachedEnd { lookedAtEverything = true }
    }
}
