import Contracts
import Foundation
import PostgresNIO
import X12

/// Answers from the clearinghouse (or a person's upload): recorded once by content, parsed, and applied
/// whole or not at all. A file that is not X12, has a broken envelope, or a transaction the suite does not
/// read is kept and held with the reason; a 271 or 277CA naming what insurance does not know goes to the
/// work queue.
enum InboundFlow {
    /// What became of a file: its transaction, its clinic when known, and its status.
    struct Outcome: Sendable {
        var fileId: String
        var transactionSet: String
        var status: String
        var problem: String?
    }

    @discardableResult
    /// `uploadedBy` is the clinic of a person who handed the file in: the file is theirs when nothing in it says otherwise.
    static func receive(_ content: String, uploadedBy: String? = nil, _ context: InsuranceContext,
                        _ effects: inout some InsuranceEffects) async throws -> Outcome? {
        let files = context.files(effects)
        guard let fileId = try await files.addInbound(content: content, uploadedBy: uploadedBy, at: effects.now) else { return nil }
        let interchange: X12Interchange
        do {
            interchange = try X12Interchange.parse(content)
        } catch {
            let problem = "not a readable X12 interchange: \(error)"
            try await files.settleInbound(fileId: fileId, clinicId: uploadedBy, transactionSet: "unknown", controlNumber: nil,
                                          status: "held", problem: problem)
            return Outcome(fileId: fileId, transactionSet: "unknown", status: "held", problem: problem)
        }
        let kinds = Set(interchange.transactionSets.map(\.id))
        let kind = kinds.count == 1 ? kinds.first! : kinds.sorted().joined(separator: "+")
        // Applied whole or not at all: a failure part-way leaves no change and no event behind.
        let before = effects
        try await savepoint("SAVEPOINT inbound", effects)
        do {
            var state = Applied(uploadedBy: uploadedBy, clinicId: uploadedBy)
            for set in interchange.transactionSets {
                switch set.id {
                case "271": try await eligibility(set, fileId: fileId, &state, context, &effects)
                case "999": try await acknowledgment(set, &state, context, &effects)
                case "277": try await claimAcknowledgment(set, fileId: fileId, &state, context, &effects)
                default: state.unknown.append("transaction set \(set.id) (ST at segment \(set.position)) is not one insurance reads")
                }
            }
            try await savepoint("RELEASE SAVEPOINT inbound", effects)
            let status = !state.unknown.isEmpty ? "held" : state.unmatched.isEmpty ? "processed" : "unmatched"
            let problem = (state.unknown + state.unmatched).isEmpty ? nil : (state.unknown + state.unmatched).joined(separator: "; ")
            for item in state.unmatched {
                try await files.addWork(clinicId: state.clinicId, fileId: fileId, kind: kind, reference: interchange.controlNumber,
                                        message: item, at: effects.now)
            }
            try await files.settleInbound(fileId: fileId, clinicId: state.clinicId, transactionSet: kind,
                                          controlNumber: interchange.controlNumber, status: status, problem: problem)
            return Outcome(fileId: fileId, transactionSet: kind, status: status, problem: problem)
        } catch {
            try await savepoint("ROLLBACK TO SAVEPOINT inbound", effects)
            effects = before
            let problem = "could not be applied: \(error)"
            try await files.settleInbound(fileId: fileId, clinicId: uploadedBy, transactionSet: kind,
                                          controlNumber: interchange.controlNumber, status: "held", problem: problem)
            return Outcome(fileId: fileId, transactionSet: kind, status: "held", problem: problem)
        }
    }

    /// What applying one file found.
    struct Applied {
        /// A person's upload applies only to their own clinic's claims and checks.
        var uploadedBy: String?
        var clinicId: String?
        var unmatched: [String] = []
        var unknown: [String] = []
    }

    private static func savepoint(_ statement: String, _ effects: some InsuranceEffects) async throws {
        try await effects.connection.query(PostgresQuery(unsafeSQL: statement), logger: effects.logger)
    }

    // MARK: 271

    private static func eligibility(_ set: X12TransactionSet, fileId: String, _ state: inout Applied, _ context: InsuranceContext,
                                    _ effects: inout some InsuranceEffects) async throws {
        let result = EligibilityResponseReader.read(set)
        for member in result.members {
            guard let trace = member.traceNumber,
                  let clinicId = try await EligibilityFlow.answered(
                    checkId: trace, onlyClinic: state.uploadedBy, summary: EligibilitySummary(member, payer: result),
                    responseFileId: fileId, context, &effects)
            else {
                state.unmatched.append("271 answers an eligibility check insurance does not know or already has (trace \(member.traceNumber ?? "none"), member \(member.memberId ?? "?"))")
                continue
            }
            state.clinicId = clinicId
        }
        if result.members.isEmpty {
            state.unmatched.append("271 names no subscriber or dependent: " + result.rejections.map(\.reason).joined(separator: "; "))
        }
    }

    // MARK: 999

    private static func acknowledgment(_ set: X12TransactionSet, _ state: inout Applied, _ context: InsuranceContext,
                                       _ effects: inout some InsuranceEffects) async throws {
        let ack = Acknowledgment999Reader.read(set)
        let store = context.claims(effects)
        let claims = try await store.claims("""
            SELECT body FROM claims WHERE interchange_control_number = \(String(Int(ack.groupControlNumber) ?? -1))
              AND (\(state.uploadedBy)::text IS NULL OR clinic_id = \(state.uploadedBy)) FOR UPDATE
            """)
        guard !claims.isEmpty else {
            // A 999 for a 270 of ours is fine (the 271 follows); for anything else it names what we did not send.
            if ack.functionalIdentifier != "HS" {
                state.unmatched.append("999 acknowledges group \(ack.groupControlNumber), which insurance did not send")
            }
            return
        }
        state.clinicId = claims[0].clinicId
        for var claim in claims where [.submitted, .resubmitted].contains(claim.status) {
            let transaction = ack.transactions.first { Int($0.controlNumber) == claim.transactionControlNumber.flatMap { Int($0) } }
            let accepted = transaction?.accepted ?? ack.accepted
            if accepted {
                try claim.move(to: .accepted, at: Timestamp(effects.now), by: "clearinghouse", note: "999 " + (transaction?.summary ?? "group accepted"))
                try await store.save(claim, appointmentId: nil, at: effects.now)
                try effects.announce(ClaimAccepted(claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId,
                                                   interchangeControlNumber: claim.interchangeControlNumber ?? "",
                                                   acceptedAt: Timestamp(effects.now)),
                                     clinicId: claim.clinicId, aggregateId: claim.claimId)
            } else {
                let reason = ClaimFinding(code: "syntax_rejected", message: "999 " + (transaction?.summary ?? "rejected the group"),
                                          location: transaction?.segmentErrors.first.map { "\($0.segmentId) at \($0.position)" })
                try await ClaimOutcomes.rejected(&claim, source: "999", reasons: [reason], context, &effects)
            }
        }
    }

    // MARK: 277CA

    private static func claimAcknowledgment(_ set: X12TransactionSet, fileId: String, _ state: inout Applied,
                                            _ context: InsuranceContext, _ effects: inout some InsuranceEffects) async throws {
        var read = ClaimAcknowledgmentFile(sourceName: "", batchTrace: nil, claims: [], envelopeErrors: [])
        ClaimAcknowledgment277Reader.read(set, into: &read)
        let store = context.claims(effects)
        for answer in read.claims {
            let found = try await store.load(claimId: answer.claimId, lock: true)
            guard var claim = found, state.uploadedBy == nil || claim.clinicId == state.uploadedBy else {
                state.unmatched.append("277CA names claim \(answer.claimId), which insurance does not know")
                continue
            }
            state.clinicId = claim.clinicId
            guard [.submitted, .resubmitted, .accepted].contains(claim.status) else {
                state.unmatched.append("277CA answers claim \(answer.claimId), which is \(claim.status.rawValue), not waiting for an answer")
                continue
            }
            if answer.accepted {
                if claim.status != .accepted { try claim.move(to: .accepted, at: Timestamp(effects.now), by: "clearinghouse", note: "277CA implies the 999") }
                try claim.move(to: .acknowledged, at: Timestamp(effects.now), by: "clearinghouse", note: "277CA accepted for adjudication")
                claim.payerClaimNumber = answer.payerClaimNumber ?? claim.payerClaimNumber
                try await store.save(claim, appointmentId: nil, at: effects.now)
                try await store.recordOutcome(claim, denied: false)
                try effects.announce(ClaimAcknowledged(claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId,
                                                       payerClaimNumber: answer.payerClaimNumber, acknowledgedAt: Timestamp(effects.now)),
                                     clinicId: claim.clinicId, aggregateId: claim.claimId)
            } else {
                try await ClaimOutcomes.rejected(&claim, source: "277CA", reasons: answer.findings, context, &effects)
                try await store.recordOutcome(claim, denied: true)
            }
        }
    }
}

/// What a rejection does to a claim: a rule fixes it (corrected; the next run resubmits it) or a person must (held).
enum ClaimOutcomes {
    static func rejected(_ claim: inout Claim, source: String, reasons: [ClaimFinding], _ context: InsuranceContext,
                         _ effects: inout some InsuranceEffects) async throws {
        try claim.move(to: .rejected, at: Timestamp(effects.now), by: "clearinghouse",
                       note: "\(source): " + reasons.map(\.message).joined(separator: "; "))
        var fixed = claim
        let fixedAll = !reasons.isEmpty && reasons.allSatisfy { RejectionRules.fix(&fixed, for: $0) }
        if fixedAll {
            claim = fixed
            try claim.move(to: .corrected, at: Timestamp(effects.now), by: "rule:" + reasons.map(\.code).joined(separator: ","),
                           note: "fixed automatically; resubmitting")
        } else {
            claim.findings = reasons.map { ScrubFinding(code: $0.code, message: $0.message, location: $0.location, fixable: false) }
            try claim.move(to: .held, at: Timestamp(effects.now), by: "clearinghouse", note: "a person must fix: " + reasons.map(\.code).joined(separator: ", "))
        }
        try await context.claims(effects).save(claim, appointmentId: nil, at: effects.now)
        try effects.announce(ClaimRejected(claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId, source: source,
                                           reasons: reasons, resubmitting: fixedAll, rejectedAt: Timestamp(effects.now)),
                             clinicId: claim.clinicId, aggregateId: claim.claimId)
        if !fixedAll {
            try effects.announce(ClaimHeld(claimId: claim.claimId, patientId: claim.patientId, payerId: claim.payerId,
                                           findings: reasons, heldAt: Timestamp(effects.now)),
                                 clinicId: claim.clinicId, aggregateId: claim.claimId)
        }
        try effects.note(fixedAll ? "claim.autofixed" : "claim.rejected", clinicId: claim.clinicId, objectType: "claim",
                         objectId: claim.claimId, summary: "\(source) rejected: " + reasons.map(\.code).joined(separator: ", "))
    }
}
