import Contracts
import Foundation
import PostgresNIO
import X12

/// The embedded clearinghouse (default; no account needed): its member book and its undelivered answers
/// live in insurance's schema, and it answers in the transaction that sends it a file. Its answers are
/// read by the same code as a real payer's.
struct SimulatorClearinghouse: Clearinghouse {
    let settings: InsuranceSettings
    /// The member book names people: sealed like every other body that does.
    let sealed: SealedJSON

    func send(fileId: String, content: String, _ effects: some InsuranceEffects) async throws {
        guard let interchange = try? X12Interchange.parse(content, validatingEnvelope: false) else { return }
        let book = try await members(named: interchange, effects)
        // Numbered and dated from the file it answers, so that the same file sent twice gets the same answers
        // (and insurance records them once).
        let answers = ClearinghouseSimulator.answer(
            to: content, members: { payer, member in book["\(payer)\n\(member)"] },
            firstControlNumber: (Int(interchange.controlNumber) ?? 0) % 10_000_000 * 10 + 1, date: Self.date(of: interchange))
        for answer in answers {
            try await effects.connection.query(
                "INSERT INTO simulator_answers (content, available_at) VALUES (\(answer), \(effects.now))", logger: effects.logger)
        }
    }

    func collect(_ effects: some InsuranceEffects, known: (String) async throws -> Bool) async throws -> [String] {
        var answers: [(Int64, String)] = []
        let rows = try await effects.connection.query("""
            DELETE FROM simulator_answers WHERE seq IN (
                SELECT seq FROM simulator_answers WHERE available_at <= \(effects.now) ORDER BY seq LIMIT 500 FOR UPDATE SKIP LOCKED)
            RETURNING seq, content
            """, logger: effects.logger)
        for try await (seq, content) in rows.decode((Int64, String).self) { answers.append((seq, content)) }
        return answers.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The payer learns its members as the clinic's coverages name them — in the payer's own form of the id.
    func enrol(_ coverage: CoverageUpdated, _ effects: some InsuranceEffects) async throws {
        guard settings.simulatorEnrolsCoverages else { return }
        let today = settings.today(effects.now)
        let member = SimulatedMember(
            memberId: RejectionRules.normalisedMemberId(coverage.memberId),
            name: coverage.subscriber?.name ?? PersonName(given: "MEMBER", family: coverage.patientId.uppercased()),
            dateOfBirth: coverage.subscriber?.dateOfBirth,
            active: coverage.effectiveDate <= today && (coverage.terminationDate.map { $0 >= today } ?? true),
            kind: coverage.kind ?? .dental, planName: coverage.groupNumber, benefits: coverage.benefits ?? PlanBenefits())
        try await effects.connection.query("""
            INSERT INTO simulator_members (payer_id, member_id, body) VALUES (\(coverage.payer.payerId), \(member.memberId),
                \(try sealed.seal(member)))
            ON CONFLICT (payer_id, member_id) DO UPDATE SET body = EXCLUDED.body
            """, logger: effects.logger)
    }

    /// The book's entries for the members a file names (as written, and in the payer's form).
    private func members(named interchange: X12Interchange, _ effects: some InsuranceEffects) async throws -> [String: SimulatedMember] {
        let named = interchange.transactionSets.flatMap(\.segments).filter { $0.id == "NM1" && $0[1] == "IL" }.map { $0[9] }
        let ids = Array(Set(named + named.map(RejectionRules.normalisedMemberId)))
        var book: [String: SimulatedMember] = [:]
        let rows = try await effects.connection.query(
            "SELECT payer_id, body FROM simulator_members WHERE member_id = ANY(\(ids))", logger: effects.logger)
        for try await (payer, body) in rows.decode((String, String).self) {
            let member = try sealed.open(SimulatedMember.self, body)
            book["\(payer)\n\(member.memberId)"] = member
        }
        return book
    }

    /// ISA09/ISA10 of the file answered.
    static func date(of interchange: X12Interchange) -> X12Writer.DateTime {
        let day = Array(interchange.date), time = Array(interchange.time)
        func number(_ digits: ArraySlice<Character>) -> Int { Int(String(digits)) ?? 0 }
        guard day.count == 6, time.count == 4 else { return X12Writer.DateTime(year: 2000, month: 1, day: 1, hour: 0, minute: 0) }
        return X12Writer.DateTime(year: 2000 + number(day[0..<2]), month: number(day[2..<4]), day: number(day[4..<6]),
                                  hour: number(time[0..<2]), minute: number(time[2..<4]))
    }
}
