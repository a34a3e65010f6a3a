import Contracts
import Foundation
import WebAPI

extension CoverageUpdated: APIExample {}

extension CheckStore.EligibilityCheck: APIExample {
    static let example = CheckStore.EligibilityCheck(
        checkId: "elg_bcdfghjklmnpqrstvwxz", patientId: "pat-1001", coverageId: "cov-77", appointmentId: "appt-5001",
        status: "answered", requestFileId: "xf_bcdfghjklmnpqrstvwxz", responseFileId: "xf_cdfghjklmnpqrstvwxzb",
        result: EligibilitySummary(active: true, memberFound: true, benefits: .example, notes: ["PLAN PAYS 100% PREVENTIVE"]),
        problem: "the practice's billing NPI is missing: send clinic.practice.updated.v1", createdAt: Date(timeIntervalSince1970: 1_764_000_000),
        answeredAt: Date(timeIntervalSince1970: 1_764_000_060))
}

/// A patient's coverage and benefits (what the clinic said, what the payer's 271 said), and eligibility checks.
enum CoverageRoutes {
    struct CoverageView: APIExample {
        var coverage: CoverageUpdated
        /// The clinic's benefits with the payer's latest figures over them: what estimates use.
        var benefits: PlanBenefits
        /// What the last 271 said: nil before any check.
        var payerActive: Bool?
        var checkedAt: Date?

        init(_ record: CoverageRecord) {
            coverage = record.coverage
            benefits = record.benefits
            payerActive = record.payerActive
            checkedAt = record.checkedAt
        }

        static let example = CoverageView(CoverageRecord(
            coverage: .example, payerBenefits: .example, payerActive: true, checkedAt: Date(timeIntervalSince1970: 1_764_000_000)))
    }

    struct Coverages: APIExample {
        var patientId: String
        var coverages: [CoverageView]
        static let example = Coverages(patientId: "pat-1001", coverages: [.example])
    }

    struct CheckRequest: APIExample {
        var patientId: String
        /// Absent: the patient's primary coverage.
        var coverageId: String?
        var appointmentId: String?
        static let example = CheckRequest(patientId: "pat-1001", coverageId: "cov-77", appointmentId: "appt-5001")
    }

    static func add(to api: APIRoutes, _ context: InsuranceContext) {
        api.write(.put, "/v1/patients/:patientId/coverage", .staff(.coverageUpdate),
                  summary: "Add or change one of the patient's coverages (the body is the coverage's full current state)",
                  idempotent: false, input: CoverageUpdated.self, output: Coverages.self) { coverage, call, change in
            let patientId = try call.parameter("patientId")
            guard coverage.patientId == patientId else {
                throw APIError.invalid("patientId in the body (\(coverage.patientId)) is not the path's (\(patientId))", param: "patientId")
            }
            do {
                try await CoverageFlow.save(coverage, clinicId: call.caller.clinicId, context, &change)
            } catch let refused as CoverageRefused {
                throw APIError.unprocessable(refused.description, param: "benefits", code: "coverage_impossible")
            }
            let records = try await context.facts(change).coverages(clinicId: call.caller.clinicId, patientId: patientId)
            return Coverages(patientId: patientId, coverages: records.map(CoverageView.init))
        }

        api.get("/v1/patients/:patientId/coverage", .staffOrOwnPatient(.claimsRead, patient: .ownRecordsRead),
                summary: "The patient's coverages, primary first, with the benefits estimates use", output: Coverages.self) { call in
            let patientId = try call.parameter("patientId")
            try call.caller.requireSee(patientId: patientId)
            let records = try await context.read { try await context.facts($0).coverages(clinicId: call.caller.clinicId, patientId: patientId) }
            return Coverages(patientId: patientId, coverages: records.map(CoverageView.init))
        }

        api.write(.post, "/v1/eligibility-checks", .staff(.claimsRead),
                  summary: "Ask the payer (270) whether the coverage is active and what is left; the 271 answers later",
                  idempotent: true, input: CheckRequest.self, output: CheckStore.EligibilityCheck.self, status: .accepted) { request, call, change in
            let started = try await EligibilityFlow.start(
                clinicId: call.caller.clinicId, patientId: request.patientId, coverageId: request.coverageId,
                appointmentId: request.appointmentId, context, &change)
            guard let check = started else {
                throw APIError.unprocessable("patient \(request.patientId) has no coverage\(request.coverageId.map { " \($0)" } ?? "") to check",
                                             param: "coverageId", code: "coverage_missing")
            }
            return check
        }

        api.get("/v1/eligibility-checks/:checkId", .staff(.claimsRead), summary: "An eligibility check and what the 271 said",
                output: CheckStore.EligibilityCheck.self) { call in
            let checkId = try call.parameter("checkId")
            let found = try await context.read {
                try await CheckStore(connection: $0.connection, logger: $0.logger).check(checkId: checkId, clinicId: call.caller.clinicId)
            }
            guard let found else { throw APIError.notFound("eligibility check", checkId) }
            return found.check
        }
    }
}
