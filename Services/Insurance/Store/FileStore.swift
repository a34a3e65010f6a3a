import Crypto
import Foundation
import Logging
import PostgresNIO
import WebAPI

/// X12 files in and out (sealed: they name patients), the control-number sequences, and the work queue of
/// inbound answers that name what insurance does not know. Inside the caller's transaction.
struct FileStore {
    let connection: PostgresConnection
    let logger: Logger
    let sealed: SealedJSON

    struct File: Sendable {
        var fileId: String
        var clinicId: String?
        var direction: String
        var transactionSet: String
        var controlNumber: String?
        var status: String
        var problem: String?
        var content: String
        var createdAt: Date
    }

    /// The next ISA13 (and GS06): unique and increasing for this installation, the one sender.
    func nextInterchangeNumber() async throws -> Int {
        try await next("SELECT nextval('interchange_numbers')")
    }

    /// The next ST02.
    func nextTransactionNumber() async throws -> Int {
        try await next("SELECT nextval('transaction_numbers')")
    }

    /// `count` consecutive ST02s (one interchange's sets), the first returned: taken under a lock so that
    /// another writer's numbers do not interleave.
    func nextTransactionNumbers(_ count: Int) async throws -> Int {
        _ = try await next("SELECT 1 FROM (SELECT pg_advisory_xact_lock(837)) AS locked")
        let first = try await nextTransactionNumber()
        for _ in 1..<max(count, 1) { _ = try await nextTransactionNumber() }
        return first
    }

    private func next(_ query: PostgresQuery) async throws -> Int {
        for try await value in try await connection.query(query, logger: logger).decode(Int.self) { return value }
        throw StoreProblem("sequence returned nothing")
    }

    /// An outbound file, waiting for the exchange job to send it.
    func addOutbound(clinicId: String, transactionSet: String, controlNumber: String, content: String, at now: Date) async throws -> String {
        let fileId = NewId.make("xf")
        try await connection.query("""
            INSERT INTO x12_files (file_id, clinic_id, direction, transaction_set, control_number, status, sha256, content, created_at)
            VALUES (\(fileId), \(clinicId), 'out', \(transactionSet), \(controlNumber), 'pending', \(Self.digest(content)),
                    \(try sealed.cipher.seal(content)), \(now))
            """, logger: logger)
        return fileId
    }

    /// Records an inbound file once: nil when the same content was recorded before (a file picked up
    /// twice, or the same answer delivered again).
    /// A person's upload is told apart per clinic: one clinic's file never tells another that it was seen.
    func addInbound(content: String, uploadedBy: String? = nil, at now: Date) async throws -> String? {
        let fileId = NewId.make("xf")
        let rows = try await connection.query("""
            INSERT INTO x12_files (file_id, direction, transaction_set, status, sha256, content, created_at)
            VALUES (\(fileId), 'in', 'unknown', 'received', \(Self.digest(content, uploadedBy: uploadedBy)),
                    \(try sealed.cipher.seal(content)), \(now))
            ON CONFLICT (sha256) WHERE direction = 'in' DO NOTHING RETURNING file_id
            """, logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return nil
    }

    func isKnownInbound(_ content: String) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT 1 FROM x12_files WHERE direction = 'in' AND sha256 = \(Self.digest(content))", logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// What an inbound file turned out to be, and what became of it.
    func settleInbound(fileId: String, clinicId: String?, transactionSet: String, controlNumber: String?, status: String,
                       problem: String?) async throws {
        try await connection.query("""
            UPDATE x12_files SET clinic_id = \(clinicId), transaction_set = \(transactionSet), control_number = \(controlNumber),
                status = \(status), problem = \(problem)
            WHERE file_id = \(fileId)
            """, logger: logger)
    }

    func pendingOutbound(limit: Int) async throws -> [File] {
        try await files("""
            SELECT file_id, clinic_id, direction, transaction_set, control_number, status, problem, content, created_at
            FROM x12_files WHERE status = 'pending' ORDER BY seq LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """)
    }

    func markSent(fileId: String, at now: Date) async throws {
        try await connection.query("UPDATE x12_files SET status = 'sent', sent_at = \(now) WHERE file_id = \(fileId)", logger: logger)
    }

    func file(fileId: String) async throws -> File? {
        try await files("""
            SELECT file_id, clinic_id, direction, transaction_set, control_number, status, problem, content, created_at
            FROM x12_files WHERE file_id = \(fileId)
            """).first
    }

    /// The outbound file that carried an interchange (ISA13) or group (GS06) of ours.
    func outbound(controlNumber: String) async throws -> File? {
        try await files("""
            SELECT file_id, clinic_id, direction, transaction_set, control_number, status, problem, content, created_at
            FROM x12_files WHERE direction = 'out' AND control_number = \(controlNumber)
            """).first
    }

    /// Files of a clinic, newest first (inbound files nothing attributes are the operator's: see the work queue).
    func list(clinicId: String, status: String?, limit: Int) async throws -> [File] {
        try await files("""
            SELECT file_id, clinic_id, direction, transaction_set, control_number, status, problem, content, created_at
            FROM x12_files WHERE clinic_id = \(clinicId) AND (\(status)::text IS NULL OR status = \(status))
            ORDER BY seq DESC LIMIT \(limit)
            """)
    }

    private func files(_ query: PostgresQuery) async throws -> [File] {
        var found: [File] = []
        let rows = try await connection.query(query, logger: logger)
            .decode((String, String?, String, String, String?, String, String?, String, Date).self)
        for try await (id, clinic, direction, set, control, status, problem, content, created) in rows {
            found.append(File(fileId: id, clinicId: clinic, direction: direction, transactionSet: set, controlNumber: control,
                              status: status, problem: problem, content: try sealed.cipher.open(content), createdAt: created))
        }
        return found
    }

    // MARK: The work queue

    struct WorkItem: Codable, Sendable {
        var itemId: Int
        var fileId: String
        var kind: String
        var reference: String
        var message: String
        var createdAt: Date
    }

    func addWork(clinicId: String?, fileId: String, kind: String, reference: String, message: String, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO work_queue (clinic_id, file_id, kind, reference, message, created_at)
            VALUES (\(clinicId), \(fileId), \(kind), \(reference), \(message), \(now))
            """, logger: logger)
    }

    func openWork(clinicId: String) async throws -> [WorkItem] {
        var items: [WorkItem] = []
        let rows = try await connection.query("""
            SELECT seq, file_id, kind, reference, message, created_at FROM work_queue
            WHERE clinic_id = \(clinicId) AND resolved_at IS NULL ORDER BY seq
            """, logger: logger).decode((Int, String, String, String, String, Date).self)
        for try await (seq, file, kind, reference, message, created) in rows {
            items.append(WorkItem(itemId: seq, fileId: file, kind: kind, reference: reference, message: message, createdAt: created))
        }
        return items
    }

    static func digest(_ content: String, uploadedBy: String? = nil) -> String {
        let text = uploadedBy.map { "uploaded by \($0)\n" + content } ?? content
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

struct StoreProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
