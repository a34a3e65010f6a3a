import Contracts
import Foundation
import PostgresNIO
import WebAPI

/// Claims: lists (the held queue), one claim with its lines, history, findings and risk, the 837 that
/// carried it, a person's corrections and submission, predeterminations of planned work.
enum ClaimRoutes {
    struct ClaimView: APIExample {
        var claim: Claim
        /// "837D" or "837P".
        var transaction: String

        init(_ claim: Claim) {
            self.claim = claim
            transaction = claim.kind == .dental ? "837D" : "837P"
        }

        static let example = ClaimView(exampleClaim)
    }

    struct ClaimList: APIExample {
        var data: [ClaimView]
        var has_more: Bool
        static let example = ClaimList(data: [.example], has_more: false)
    }

    /// A person's corrections: each field given replaces the claim's.
    struct Correction: APIExample {
        var lines: [LineCorrection]?
        /// ICD-10-CM codes, most important first.
        var diagnoses: [String]?
        var memberId: String?
        var note: String?

        static let example = Correction(
            lines: [LineCorrection(chargeId: "chg-90001", code: "D2392", acceptSuggestion: false, tooth: "30", surfaces: ["M", "O"],
                                   diagnosisPointers: [1])],
            diagnoses: ["K0252"], memberId: "W123456789", note: "tooth number from the chart")
    }

    struct LineCorrection: Codable, Sendable {
        var chargeId: String
        var code: String?
        /// Take the code the fee schedule suggested for this line.
        var acceptSuggestion: Bool?
        var tooth: String?
        var surfaces: [String]?
        var diagnosisPointers: [Int]?
    }

    static func add(to api: APIRoutes, _ context: InsuranceContext) {
        api.get("/v1/claims", .staffOrOwnPatient(.claimsRead, patient: .ownRecordsRead),
                summary: "Claims, newest first (a patient sees its own)",
                query: [.string("status", ClaimStatus.allCases.map(\.rawValue).joined(separator: ", ")),
                        .string("patientId", "the patient")] + QueryParameter.paging,
                output: ClaimList.self) { call in
            try await list(call, context)
        }

        api.get("/v1/claims/:claimId", .staffOrOwnPatient(.claimsRead, patient: .ownRecordsRead),
                summary: "One claim: lines, status history, scrub findings, denial risk", output: ClaimView.self) { call in
            ClaimView(try await read(call, context))
        }

        api.document("/v1/claims/:claimId/x12", .staff(.claimsRead), summary: "The 837 interchange that carried the claim last",
                     contentType: "application/edi-x12") { call in
            let claim = try await read(call, context)
            guard let control = claim.interchangeControlNumber,
                  let file = try await context.read({ try await context.files($0).outbound(controlNumber: control) })
            else { throw APIError.unprocessable("claim \(claim.claimId) has not been written to an 837 yet (\(claim.status.rawValue))",
                                                code: "claim_not_submitted") }
            return Array(file.content.utf8)
        }

        api.write(.put, "/v1/claims/:claimId", .staff(.claimsSubmit),
                  summary: "Correct a held, rejected or acknowledged claim (an acknowledged one becomes a replacement, frequency 7)",
                  idempotent: true, input: Correction.self, output: ClaimView.self) { correction, call, change in
            try await edit(call, context, &change) { claim in try apply(correction, to: &claim) }
        }

        api.write(.post, "/v1/claims/:claimId/submit", .staff(.claimsSubmit),
                  summary: "Submit a held claim again after its facts arrived (the practice, a provider): scrubbed first",
                  idempotent: true, input: NoBody.self, output: ClaimView.self) { _, call, change in
            try await edit(call, context, &change, correcting: false) { _ in }
        }
    }

    /// Refreshes the claim's parties from what insurance knows now, applies `body`, scrubs it; a clean claim
    /// goes out in this transaction, one with findings stays held (422 naming them).
    static func edit(_ call: RouteCall, _ context: InsuranceContext, _ change: inout Change, correcting: Bool = true,
                     _ body: (inout Claim) throws -> Void) async throws -> ClaimView {
        let claimId = try call.parameter("claimId")
        let store = context.claims(change)
        guard var claim = try await store.load(clinicId: call.caller.clinicId, claimId: claimId, lock: true) else {
            throw APIError.notFound("claim", claimId)
        }
        guard [.held, .rejected, .acknowledged].contains(claim.status) else {
            throw APIError.unprocessable("claim \(claimId) is \(claim.status.rawValue): only held, rejected or acknowledged claims can be corrected",
                                         code: "claim_not_editable")
        }
        let records = try await context.facts(change).coverages(clinicId: claim.clinicId, patientId: claim.patientId)
        var coverage = records.first { $0.coverage.coverageId == claim.coverageId }?.effective ?? claim.parties.coverage
        if coverage.memberId != claim.parties.coverage.memberId, claim.autoFixedCauses.contains("member_id_format") {
            coverage.memberId = claim.parties.coverage.memberId  // keep the payer's form of the id a rule found
        }
        claim.parties = try await context.facts(change).parties(clinicId: claim.clinicId, coverage: coverage,
                                                                providerIds: Set(claim.lines.map(\.providerId)))
        try body(&claim)
        // A held claim that never went out goes out as submitted once its facts arrived; anything a person
        // changed, or a claim the payer saw before, goes out again as a correction.
        if correcting || claim.status != .held || claim.interchangeControlNumber != nil {
            try claim.move(to: .corrected, at: Timestamp(change.now), by: call.caller.subject,
                           note: correcting ? "corrected by a person" : "sent again by a person")
            try change.audit("claim.corrected", objectType: "claim", objectId: claimId, summary: "corrected; frequency \(claim.frequencyCode)")
        }
        guard try await ClaimFlow.prepare(&claim, context, &change) else {
            try await store.save(claim, appointmentId: nil, at: change.now)
            let holding = claim.findings.filter { !$0.fixable }
            throw APIError.unprocessable("claim \(claimId) is still held: " + holding.map { "\($0.code): \($0.message)" }.joined(separator: "; "),
                                         code: "claim_held")
        }
        try await ClaimFlow.submit([claim], context, &change)
        return ClaimView(try await store.load(clinicId: claim.clinicId, claimId: claimId) ?? claim)
    }

    static func apply(_ correction: Correction, to claim: inout Claim) throws {
        if let diagnoses = correction.diagnoses { claim.diagnoses = diagnoses }
        if let memberId = correction.memberId { claim.parties.coverage.memberId = memberId }
        for edit in correction.lines ?? [] {
            guard let index = claim.lines.firstIndex(where: { $0.chargeId == edit.chargeId }) else {
                throw APIError.invalid("claim \(claim.claimId) has no line for charge \(edit.chargeId)", param: "lines")
            }
            if edit.acceptSuggestion == true {
                guard let suggestion = claim.lines[index].suggestion else {
                    throw APIError.invalid("line \(edit.chargeId) has no suggested code to accept", param: "lines")
                }
                claim.lines[index].procedure.code = suggestion.code
                claim.lines[index].suggestion = nil
            }
            if let code = edit.code { claim.lines[index].procedure.code = code }
            if let tooth = edit.tooth { claim.lines[index].procedure.tooth = tooth }
            if let surfaces = edit.surfaces { claim.lines[index].procedure.surfaces = surfaces }
            if let pointers = edit.diagnosisPointers { claim.lines[index].diagnosisPointers = pointers }
        }
    }

    static func read(_ call: RouteCall, _ context: InsuranceContext) async throws -> Claim {
        let claimId = try call.parameter("claimId")
        let claim = try await context.read { try await context.claims($0).load(clinicId: call.caller.clinicId, claimId: claimId) }
        guard let claim else { throw APIError.notFound("claim", claimId) }
        try call.caller.requireSee(patientId: claim.patientId, what: "claim")
        return claim
    }

    static func list(_ call: RouteCall, _ context: InsuranceContext) async throws -> ClaimList {
        let page = try PageRequest(call.query)
        let status = call.query["status"]
        if let status, ClaimStatus(rawValue: status) == nil {
            throw APIError.invalid("status must be one of " + ClaimStatus.allCases.map(\.rawValue).joined(separator: ", "), param: "status")
        }
        let patientId = call.caller.patientId ?? call.query["patientId"]
        let after = page.startingAfter
        let rows = try await context.read { effects in
            var found: [Claim] = []
            let query: PostgresQuery = """
                SELECT body FROM claims WHERE clinic_id = \(call.caller.clinicId)
                  AND (\(status)::text IS NULL OR status = \(status)) AND (\(patientId)::text IS NULL OR patient_id = \(patientId))
                  AND (\(after)::text IS NULL OR seq < (SELECT seq FROM claims WHERE claim_id = \(after)))
                ORDER BY seq DESC LIMIT \(page.limit + 1)
                """
            for try await body in try await effects.connection.query(query, logger: effects.logger).decode(String.self) {
                found.append(try context.sealed.open(Claim.self, body))
            }
            return found
        }
        return ClaimList(data: rows.prefix(page.limit).map(ClaimView.init), has_more: rows.count > page.limit)
    }
}
