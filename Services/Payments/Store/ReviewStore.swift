import Contracts
import Foundation
import WebAPI
import Logging
import PostgresNIO

/// What the fraud and error checks put in front of staff.
public enum ReviewKind: String, Codable, Sendable, CaseIterable, SchemaEnum {
    /// A charge repeating patient, procedure, tooth, surfaces and service date: held, not posted.
    case duplicateCharge = "duplicate_charge"
    /// A payment far above the balance: taken, flagged.
    case paymentAboveBalance = "payment_above_balance"
    /// Many declines for one patient in a short time: further card payments refused for a while.
    case cardTesting = "card_testing"
}

public enum ReviewStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    case open, released, rejected
}

struct ReviewItem: Sendable {
    var itemId: String
    var kind: ReviewKind
    var patientId: String
    var subjectId: String
    var summary: String
    var heldEvent: String?
    var status: ReviewStatus
    var createdAt: Date
    var decidedBy: String?
    var decidedAt: Date?
    var decisionNote: String?
}

/// The SQL of the review list. One item per kind and subject: a second flag of the same thing is no news.
struct ReviewStore {
    let connection: PostgresConnection
    let logger: Logger

    static let columns = """
        item_id, kind, patient_id, subject_id, summary, held_event::text AS held_event, status, created_at, decided_by,
        decided_at, decision_note
        """

    func open(clinicId: String, kind: ReviewKind, patientId: String, subjectId: String, summary: String,
              heldEvent: String? = nil, at now: Date) async throws {
        try await connection.query("""
            INSERT INTO review_items (clinic_id, item_id, kind, patient_id, subject_id, summary, held_event, status, created_at)
            VALUES (\(clinicId), \(NewId.make("rev_")), \(kind.rawValue), \(patientId), \(subjectId), \(summary),
                    \(heldEvent)::jsonb, 'open', \(now))
            ON CONFLICT (clinic_id, kind, subject_id) DO NOTHING
            """, logger: logger)
    }

    func list(clinicId: String, status: ReviewStatus?, after: String?, limit: Int) async throws -> [ReviewItem] {
        try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM review_items
            WHERE clinic_id = \(clinicId) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
              AND (\(after)::text IS NULL OR item_id > \(after))
            ORDER BY item_id LIMIT \(limit + 1)
            """, logger: logger).collect().map(ReviewItem.init(row:))
    }

    func load(clinicId: String, itemId: String) async throws -> ReviewItem? {
        try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM review_items WHERE clinic_id = \(clinicId) AND item_id = \(itemId) FOR UPDATE
            """, logger: logger).collect().first.map(ReviewItem.init(row:))
    }

    func decide(clinicId: String, itemId: String, _ status: ReviewStatus, by subject: String, note: String?, at now: Date) async throws {
        try await connection.query("""
            UPDATE review_items SET status = \(status.rawValue), decided_by = \(subject), decided_at = \(now), decision_note = \(note)
            WHERE clinic_id = \(clinicId) AND item_id = \(itemId)
            """, logger: logger)
    }
}

extension ReviewItem {
    init(row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        itemId = try r["item_id"].decode(String.self)
        kind = ReviewKind(rawValue: try r["kind"].decode(String.self)) ?? .duplicateCharge
        patientId = try r["patient_id"].decode(String.self)
        subjectId = try r["subject_id"].decode(String.self)
        summary = try r["summary"].decode(String.self)
        heldEvent = try r["held_event"].decode(String?.self)
        status = ReviewStatus(rawValue: try r["status"].decode(String.self)) ?? .open
        createdAt = try r["created_at"].decode(Date.self)
        decidedBy = try r["decided_by"].decode(String?.self)
        decidedAt = try r["decided_at"].decode(Date?.self)
        decisionNote = try r["decision_note"].decode(String?.self)
    }
}
