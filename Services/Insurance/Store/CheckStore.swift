import Contracts
import Foundation
import Logging
import PostgresNIO

/// Eligibility checks (270 out, 271 back) and estimates. Inside the caller's transaction.
struct CheckStore {
    let connection: PostgresConnection
    let logger: Logger

    struct EligibilityCheck: Codable, Sendable {
        var checkId: String
        var patientId: String
        var coverageId: String
        var appointmentId: String?
        /// waiting (the 270 went out), answered (the 271 was read), failed (see `problem`)
        var status: String
        var requestFileId: String?
        var responseFileId: String?
        var result: EligibilitySummary?
        /// Why no 270 could go out, when status is `failed`.
        var problem: String?
        var createdAt: Date
        var answeredAt: Date?
    }

    func addCheck(clinicId: String, _ check: EligibilityCheck) async throws {
        try await connection.query("""
            INSERT INTO eligibility_checks (clinic_id, check_id, patient_id, coverage_id, appointment_id, status, request_file_id,
                                            problem, created_at)
            VALUES (\(clinicId), \(check.checkId), \(check.patientId), \(check.coverageId), \(check.appointmentId), \(check.status),
                    \(check.requestFileId), \(check.problem), \(check.createdAt))
            """, logger: logger)
    }

    func answer(checkId: String, responseFileId: String, result: EligibilitySummary, at now: Date) async throws {
        try await connection.query("""
            UPDATE eligibility_checks SET status = 'answered', response_file_id = \(responseFileId),
                result = \(try SealedJSON.plain(result))::jsonb, answered_at = \(now)
            WHERE check_id = \(checkId)
            """, logger: logger)
    }

    /// A check by its id, in any clinic (a 271 names the check by its trace number) or in one.
    func check(checkId: String, clinicId: String? = nil) async throws -> (clinicId: String, check: EligibilityCheck)? {
        let rows = try await connection.query("""
            SELECT clinic_id, check_id, patient_id, coverage_id, appointment_id, status, request_file_id, response_file_id,
                   result::text, problem, created_at, answered_at
            FROM eligibility_checks WHERE check_id = \(checkId) AND (\(clinicId)::text IS NULL OR clinic_id = \(clinicId))
            """, logger: logger)
            .decode((String, String, String, String, String?, String, String?, String?, String?, String?, Date, Date?).self)
        for try await (clinic, id, patient, coverage, appointment, status, request, response, result, problem, created, answered) in rows {
            return (clinic, EligibilityCheck(
                checkId: id, patientId: patient, coverageId: coverage, appointmentId: appointment, status: status,
                requestFileId: request, responseFileId: response,
                result: try result.map { try SealedJSON.decode(EligibilitySummary.self, $0) }, problem: problem, createdAt: created,
                answeredAt: answered))
        }
        return nil
    }

    // MARK: Estimates

    struct StoredEstimate: Codable, Sendable {
        var estimate: EstimateCalculated
        var acceptedAt: Date? = nil
        var acceptedBy: String? = nil
    }

    func saveEstimate(clinicId: String, _ estimate: EstimateCalculated) async throws {
        try await connection.query("""
            INSERT INTO estimates (clinic_id, estimate_id, patient_id, treatment_plan_id, appointment_id, body)
            VALUES (\(clinicId), \(estimate.estimateId), \(estimate.patientId), \(estimate.treatmentPlanId), \(estimate.appointmentId),
                    \(try SealedJSON.plain(estimate))::jsonb)
            """, logger: logger)
    }

    func accept(clinicId: String, estimateId: String, by who: String, at now: Date) async throws {
        try await connection.query("""
            UPDATE estimates SET accepted_at = \(now), accepted_by = \(who) WHERE clinic_id = \(clinicId) AND estimate_id = \(estimateId)
            """, logger: logger)
    }

    func estimate(clinicId: String, estimateId: String, lock: Bool = false) async throws -> StoredEstimate? {
        try await estimates("""
            SELECT body::text, accepted_at, accepted_by FROM estimates WHERE clinic_id = \(clinicId) AND estimate_id = \(estimateId)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """).first
    }

    /// The latest estimate of an appointment's planned work (the co-pay to collect at check-in).
    func estimates(clinicId: String, patientId: String) async throws -> [StoredEstimate] {
        try await estimates("""
            SELECT body::text, accepted_at, accepted_by FROM estimates WHERE clinic_id = \(clinicId) AND patient_id = \(patientId)
            ORDER BY body->>'calculatedAt' DESC, estimate_id LIMIT 100
            """)
    }

    private func estimates(_ query: PostgresQuery) async throws -> [StoredEstimate] {
        var found: [StoredEstimate] = []
        for try await (body, at, by) in try await connection.query(query, logger: logger).decode((String, Date?, String?).self) {
            found.append(StoredEstimate(estimate: try SealedJSON.decode(EstimateCalculated.self, body), acceptedAt: at, acceptedBy: by))
        }
        return found
    }
}

/// What a 271 said, kept with its check (the raw benefits stay in the response file).
struct EligibilitySummary: Codable, Sendable, Hashable {
    var active: Bool
    var memberFound: Bool
    var benefits: PlanBenefits?
    /// In words: rejections (AAA), messages (MSG).
    var notes: [String]
}

extension EligibilitySummary {
    /// What one person's part of a 271 says, in the terms insurance keeps.
    init(_ member: EligibilityMember, payer result: EligibilityResult) {
        let rejections = member.rejections + result.rejections
        self.init(
            active: member.status == .active, memberFound: member.found && result.rejections.isEmpty,
            benefits: member.found ? member.planBenefits() : nil,
            notes: rejections.map { "\($0.reason) (\($0.followUp))" } + member.benefits.flatMap(\.messages))
    }
}
