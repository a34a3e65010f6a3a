import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// `POST /v1/adjustments`: a write-off, courtesy discount or correction of a patient's balance, with a
/// reason; above the clinic's threshold only the practice owner may make it.
enum AdjustmentRoutes {
    struct Adjustment: APIExample {
        var id: String
        var patientId: String
        var kind: AdjustmentRequest.Kind
        var amount: Money
        var reason: String
        var note: String?
        /// The patient's balance after the adjustment.
        var balance: Money

        static let example = Adjustment(
            id: "adj_3f2a", patientId: "pat-1001", kind: .writeOff, amount: Money(amount: 1_500, currency: "USD"),
            reason: "small balance write-off", note: "approved at the desk", balance: Money(amount: 17_000, currency: "USD"))
    }

    static func add(to api: APIRoutes, _ resources: ServiceResources, largeAbove threshold: Int64) {
        api.write(.post, "/v1/adjustments", .staff(.billingUpdate),
                  summary: "Write off, discount or correct a patient's balance (amounts above the clinic's threshold need admin)",
                  idempotent: true, input: AdjustmentRequest.self, output: Adjustment.self, status: .created) { request, call, change in
            if AdjustmentRules.isLarge(request.amount, threshold: threshold) {
                guard call.caller.may(.largeAdjustments) else {
                    throw APIError(.forbidden, type: "permission_error", code: "admin_required",
                                   message: "adjustments above \(threshold) minor units need the practice owner (admin)")
                }
                try change.audit("limit.used", objectType: "adjustment", objectId: request.patientId,
                                 summary: "\(request.kind.rawValue) of \(request.amount) above the \(threshold) limit, by \(call.caller.role.rawValue)")
            }
            let store = AdjustmentStore(connection: change.connection, logger: change.logger)
            let clinicId = call.caller.clinicId
            let before = try await store.lockedBalance(clinicId: clinicId, patientId: request.patientId,
                                                       currency: request.amount.currency)
            guard let before else { throw APIError.notFound("account for patient", request.patientId) }
            if let problem = AdjustmentRules.problems(in: request, balance: before).first {
                throw APIError.unprocessable(problem.message, param: problem.param, code: "adjustment_invalid")
            }
            let id = NewId.make("adj_")
            try await store.insert(id: id, clinicId: clinicId, request: request, createdBy: call.caller.subject,
                                   requestId: call.requestId, at: change.now)
            let ledger = LedgerStore(connection: change.connection, logger: change.logger)
            let transfer = Transfer.adjustment(id: id, kind: request.kind, patientId: request.patientId,
                                               change: request.balanceChange, currency: request.amount.currency)
            let (balance, version) = try await ledger.post(LedgerWrite(
                clinicId: clinicId, transfer: transfer, patientId: request.patientId, chargeId: "", eventId: call.requestId))
            try change.publish(BalanceChanged(
                patientId: request.patientId, balance: balance,
                change: Money(amount: request.balanceChange, currency: request.amount.currency), version: version,
                cause: BalanceChangeCause(adjustmentId: id)), aggregateId: request.patientId)
            try change.audit("adjustment.created", objectType: "adjustment", objectId: id,
                             summary: "\(request.kind.rawValue) \(request.balanceChange) \(request.amount.currency) on patient \(request.patientId); balance \(before) -> \(balance.amount); reason on the adjustment")
            return Adjustment(id: id, patientId: request.patientId, kind: request.kind, amount: request.amount,
                              reason: request.reason, note: request.note, balance: balance)
        }
    }
}

extension AdjustmentRequest: APIExample {
    public static let example = AdjustmentRequest(
        patientId: "pat-1001", amount: Money(amount: 1_500, currency: "USD"), kind: .writeOff,
        reason: "small balance write-off", note: "approved at the desk", direction: .decrease)
}
