import Contracts
import Foundation
import WebAPI

/// What the outcome of a gateway call does to the books, inside one `Change`: the payment's row, the
/// ledger, the balance, the plan's and the auto-charge's retries, the saved method's flag, the events
/// and the audit line all commit together. The payment row is locked first, so a late answer (the
/// janitor and the request racing, a replayed webhook) finds it final and has no second effect.
struct Settlement {
    let retries: RetrySchedule
    let declineLimit: DeclineLimit

    /// Settles the payment with `outcome` (nil: the gateway did not answer). Returns the payment as it is now.
    @discardableResult
    func settle(clinicId: String, paymentId: String, outcome: GatewayChargeOutcome?, change: inout Change) async throws
        -> PaymentRecord
    {
        let store = PaymentStore(connection: change.connection, logger: change.logger)
        guard var payment = try await store.load(clinicId: clinicId, paymentId: paymentId, lock: true) else {
            throw PaymentsStoreError("payment \(paymentId) vanished while being settled")
        }
        let transition = PaymentTransition.on(payment.status, outcome: outcome)
        guard let status = transition.newStatus else { return payment }
        switch transition {
        case .succeed(let charge):
            try await store.recordOutcome(payment, status: status, charge: charge, decline: nil, at: change.now)
            payment.cardBrand = charge.cardBrand ?? payment.cardBrand
            payment.cardLast4 = charge.cardLast4 ?? payment.cardLast4
            try await succeed(payment, change: &change)
        case .fail(let decline):
            try await store.recordOutcome(payment, status: status, charge: nil, decline: decline, at: change.now)
            payment.failure = decline.failure
            payment.softDecline = decline.soft
            try await fail(payment, decline, change: &change)
        case .keepProcessing(let charge):
            try await store.recordOutcome(payment, status: status, charge: charge, decline: nil, at: change.now)
            if payment.status != .processing || payment.gatewayChargeId == nil {
                try change.audit("payment.processing", objectType: "payment", objectId: paymentId,
                                 summary: "the gateway accepted \(payment.amount) (\(charge.id)); waiting for it to settle",
                                 clinicId: clinicId)
            }
        case .becomeUnknown:
            try await store.recordOutcome(payment, status: status, charge: nil, decline: nil, at: change.now)
            try change.audit("payment.unknown", objectType: "payment", objectId: paymentId,
                             summary: "the gateway did not answer for \(payment.amount); the janitor will ask it", clinicId: clinicId)
        case .none:
            return payment
        }
        payment.status = status
        return payment
    }

    /// The ledger moves only here: the patient's receivable down, the practice's collections up, the
    /// payment allocated to the oldest open charges.
    private func succeed(_ payment: PaymentRecord, change: inout Change) async throws {
        let clinicId = payment.clinicId
        let store = PaymentStore(connection: change.connection, logger: change.logger)
        let ledger = LedgerStore(connection: change.connection, logger: change.logger)
        let open = try await store.openCharges(clinicId: clinicId, patientId: payment.patientId, currency: payment.amount.currency)
        let allocations = Collections.allocate(payment.amount.amount, to: open, currency: payment.amount.currency)
        try await store.allocate(clinicId: clinicId, paymentId: payment.paymentId, allocations)
        let (balance, version) = try await ledger.post(LedgerWrite(
            clinicId: clinicId,
            transfer: .payment(id: payment.paymentId, patientId: payment.patientId, method: payment.method, amount: payment.amount),
            patientId: payment.patientId, chargeId: "", eventId: payment.requestId ?? payment.paymentId))
        if let collection = payment.collectionKey {
            try await RetryStore(connection: change.connection, logger: change.logger).finish(clinicId: clinicId, collectionKey: collection)
        }
        try change.publish(PaymentSucceeded(
            paymentId: payment.paymentId, patientId: payment.patientId, amount: payment.amount, method: payment.method,
            origin: payment.origin, cardBrand: payment.cardBrand, cardLast4: payment.cardLast4, reference: payment.reference,
            plan: payment.plan, allocations: allocations, balance: balance, succeededAt: Timestamp(change.now)),
            clinicId: clinicId, aggregateId: payment.patientId)
        try change.publish(BalanceChanged(
            patientId: payment.patientId, balance: balance, change: Money(amount: -payment.amount.amount, currency: balance.currency),
            version: version, cause: BalanceChangeCause(paymentId: payment.paymentId)),
            clinicId: clinicId, aggregateId: payment.patientId)
        try change.audit("payment.succeeded", objectType: "payment", objectId: payment.paymentId,
                         summary: "\(payment.method.rawValue) \(payment.amount) from patient \(payment.patientId) (\(payment.origin.rawValue)); balance \(balance.amount)",
                         clinicId: clinicId)
    }

    /// The ledger does not move. An automatic collection's soft decline is retried on the schedule; a hard
    /// decline stops it and flags the saved method; many declines on one method block it (card testing).
    private func fail(_ payment: PaymentRecord, _ decline: GatewayDecline, change: inout Change) async throws {
        let clinicId = payment.clinicId
        var nextRetry: Date?
        if let collection = payment.collectionKey, let methodId = payment.paymentMethodId {
            let retries = RetryStore(connection: change.connection, logger: change.logger)
            nextRetry = try await retries.afterFailure(
                payment, collectionKey: collection, paymentMethodId: methodId, soft: decline.soft, schedule: self.retries,
                now: change.now)
        }
        if let methodId = payment.paymentMethodId {
            let methods = PaymentMethodStore(connection: change.connection, logger: change.logger)
            var flag: PaymentMethodStatus?
            if decline.methodNeedsUpdating || !decline.soft {
                flag = .needsUpdating
            } else if declineLimit.isReached(recentDeclines: try await PaymentStore(connection: change.connection, logger: change.logger)
                .recentDeclines(clinicId: clinicId, patientId: nil, paymentMethodId: methodId, seconds: declineLimit.withinSeconds,
                                now: change.now)) {
                flag = .blocked
            }
            if let flag, try await methods.setStatus(clinicId: clinicId, paymentMethodId: methodId, flag, at: change.now) {
                try change.publish(PaymentMethodRevoked(
                    paymentMethodId: methodId, patientId: payment.patientId, reason: flag.revocationReason,
                    revokedAt: Timestamp(change.now)), clinicId: clinicId, aggregateId: payment.patientId)
                try change.audit("payment-method.flagged", objectType: "payment-method", objectId: methodId,
                                 summary: "\(flag.rawValue) after \(decline.failure.code)", clinicId: clinicId)
            }
        }
        try change.publish(PaymentFailed(
            paymentId: payment.paymentId, patientId: payment.patientId, amount: payment.amount, method: payment.method,
            origin: payment.origin, failure: decline.failure, soft: decline.soft, final: nextRetry == nil,
            nextRetryAt: nextRetry.map(Timestamp.init), plan: payment.plan, paymentMethodId: payment.paymentMethodId,
            failedAt: Timestamp(change.now)), clinicId: clinicId, aggregateId: payment.patientId)
        try change.audit("payment.failed", objectType: "payment", objectId: payment.paymentId,
                         summary: "\(payment.method.rawValue) \(payment.amount) declined: \(decline.failure.code)\(decline.failure.declineCode.map { "/\($0)" } ?? "")"
                            + (nextRetry.map { "; retry at \(Timestamp($0))" } ?? ""),
                         clinicId: clinicId)
    }
}
