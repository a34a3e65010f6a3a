import Contracts
import Foundation
import WebAPI

/// What a refund's outcome does to the books, in one `Change`: the refund row, the payment's refunded
/// total, the allocations (newest charge first), the ledger, the balance, the events and the audit line.
struct RefundSettlement {
    /// nil outcome: the gateway did not answer (the refund becomes `unknown` for the janitor).
    func settle(clinicId: String, refundId: String, outcome: GatewayRefundOutcome?, change: inout Change) async throws {
        let refunds = RefundStore(connection: change.connection, logger: change.logger)
        guard let refund = try await refunds.load(clinicId: clinicId, refundId: refundId, lock: true),
              refund.status == .pending || refund.status == .unknown
        else { return }
        switch outcome {
        case nil:
            try await refunds.recordOutcome(clinicId: clinicId, refundId: refundId, status: .unknown, gatewayRefundId: nil, failure: nil)
            try change.audit("refund.unknown", objectType: "refund", objectId: refundId,
                             summary: "the gateway did not answer for \(refund.amount); the janitor will ask it", clinicId: clinicId)
        case .pending(let gatewayRefundId)?:
            try await refunds.recordOutcome(clinicId: clinicId, refundId: refundId, status: .pending,
                                            gatewayRefundId: gatewayRefundId, failure: nil)
        case .failed(let failure)?:
            try await refunds.recordOutcome(clinicId: clinicId, refundId: refundId, status: .failed, gatewayRefundId: nil,
                                            failure: failure)
            try change.audit("refund.failed", objectType: "refund", objectId: refundId,
                             summary: "the gateway refused a refund of \(refund.amount): \(failure.code)", clinicId: clinicId)
        case .succeeded(let gatewayRefundId)?:
            try await refunds.recordOutcome(clinicId: clinicId, refundId: refundId, status: .succeeded,
                                            gatewayRefundId: gatewayRefundId.isEmpty ? nil : gatewayRefundId, failure: nil)
            try await succeed(refund, change: &change)
        }
    }

    private func succeed(_ refund: RefundRecord, change: inout Change) async throws {
        let clinicId = refund.clinicId
        let payments = PaymentStore(connection: change.connection, logger: change.logger)
        guard let payment = try await payments.load(clinicId: clinicId, paymentId: refund.paymentId, lock: true) else {
            throw PaymentsStoreError("payment \(refund.paymentId) of refund \(refund.refundId) is missing")
        }
        let total = try await RefundStore(connection: change.connection, logger: change.logger)
            .addRefunded(clinicId: clinicId, paymentId: payment.paymentId, amount: refund.amount.amount)
        try await payments.deallocate(clinicId: clinicId, paymentId: payment.paymentId, amount: refund.amount.amount)
        let ledger = LedgerStore(connection: change.connection, logger: change.logger)
        let (balance, version) = try await ledger.post(LedgerWrite(
            clinicId: clinicId,
            transfer: .refund(id: refund.refundId, patientId: payment.patientId, method: payment.method, amount: refund.amount),
            patientId: payment.patientId, chargeId: "", eventId: refund.requestId ?? refund.refundId))
        try change.publish(PaymentRefunded(
            refundId: refund.refundId, paymentId: payment.paymentId, patientId: payment.patientId, amount: refund.amount,
            totalRefunded: Money(amount: total, currency: refund.amount.currency), method: payment.method, reason: refund.reason,
            plan: payment.plan, balance: balance, refundedAt: Timestamp(change.now)), clinicId: clinicId, aggregateId: payment.patientId)
        try change.publish(BalanceChanged(
            patientId: payment.patientId, balance: balance, change: refund.amount, version: version,
            cause: BalanceChangeCause(refundId: refund.refundId, paymentId: payment.paymentId)),
            clinicId: clinicId, aggregateId: payment.patientId)
        try change.audit("refund.succeeded", objectType: "refund", objectId: refund.refundId,
                         summary: "refunded \(refund.amount) of payment \(payment.paymentId) (\(payment.method.rawValue)) to patient \(payment.patientId); balance \(balance.amount)",
                         clinicId: clinicId)
    }
}
