import Contracts
import Foundation
import Logging
import PostgresNIO
import WebAPI

/// Takes money through the gateway without ever charging twice (the Kill Bill lesson): the payment is
/// stored and committed before the gateway is called, the gateway call carries the payment id as its
/// idempotency key, and the outcome is settled in its own change. A crash between the call and the
/// settlement leaves the payment `processing` or `unknown`; the janitor then asks the gateway by that
/// key — and only if the gateway never saw it, charges with the same key.
struct Collector: Sendable {
    let gateway: any PaymentGateway
    let runner: ChangeRunner
    /// Commits a payment or refund before the gateway is called, while a request's transaction is open.
    let separateClient: PostgresClient
    let logger: Logger
    let settlement: Settlement
    /// How long the janitor leaves a payment alone after a gateway call.
    let grace: PaymentStore.Grace

    var client: PostgresClient { runner.client }

    /// Stores `payment` (committed at once, the gateway about to be called); false when a payment with
    /// its id, collection try or installment already exists.
    func record(_ payment: PaymentRecord, callingNow: Bool) async throws -> Bool {
        try await separateClient.withConnection { connection in
            try await PaymentStore(connection: connection, logger: logger).insert(payment, calledGateway: callingNow)
        }
    }

    /// Asks the gateway about a stored payment. nil: it did not answer (the payment becomes `unknown`).
    func ask(_ payment: PaymentRecord, mayHaveBeenCalled: Bool) async -> GatewayChargeOutcome? {
        guard let source = payment.source?.gatewaySource else {
            logger.error("payment has no gateway source", metadata: ["payment": "\(payment.paymentId)"])
            return nil
        }
        do {
            if mayHaveBeenCalled, let known = try await gateway.lookup(idempotencyKey: payment.paymentId) { return known }
            return try await gateway.charge(GatewayChargeRequest(
                idempotencyKey: payment.paymentId, amount: payment.amount, source: source,
                description: "ClinicLedger payment \(payment.paymentId)",
                metadata: ["payment_id": payment.paymentId, "clinic_id": payment.clinicId, "patient_id": payment.patientId]))
        } catch GatewayError.invalidRequest(let code, let message) {
            // The gateway refused the request itself: nothing was charged, and asking again will not help.
            return .declined(GatewayDecline(failure: PaymentFailure(code: code, message: message), soft: false), charge: nil)
        } catch {
            logger.warning("gateway outcome unknown", metadata: ["payment": "\(payment.paymentId)", "error": "\(error)"])
            return nil
        }
    }

    /// Drives a stored, unsettled payment to its outcome when nobody else is calling the gateway for it.
    /// Used by the janitor and by automatic collections.
    @discardableResult
    func drive(clinicId: String, paymentId: String) async throws -> PaymentRecord? {
        let claimed = try await client.withConnection { connection in
            try await PaymentStore(connection: connection, logger: logger)
                .claimForGateway(clinicId: clinicId, paymentId: paymentId, grace: grace)
        }
        guard let previouslyCalled = claimed,
              let payment = try await client.withConnection({ connection in
                  try await PaymentStore(connection: connection, logger: logger).load(clinicId: clinicId, paymentId: paymentId)
              })
        else { return nil }
        let outcome = await ask(payment, mayHaveBeenCalled: previouslyCalled)
        return try await runner.run(actor: ("system:payments", "system"), clinicId: clinicId,
                                    correlationId: payment.requestId ?? paymentId, requestId: nil) { change in
            try await settlement.settle(clinicId: clinicId, paymentId: paymentId, outcome: outcome, change: &change)
        }
    }

    /// Settles a payment with a gateway webhook's news.
    func settleFromWebhook(paymentId: String, outcome: GatewayChargeOutcome) async throws -> Bool {
        let clinics = try await client.withConnection { connection in
            try await connection.query("SELECT clinic_id FROM payments WHERE payment_id = \(paymentId)", logger: logger)
                .decode(String.self).all()
        }
        guard let clinicId = clinics.first else { return false }
        _ = try await runner.run(actor: ("system:payments", "system"), clinicId: clinicId, correlationId: paymentId,
                             requestId: nil) { change in
            try await settlement.settle(clinicId: clinicId, paymentId: paymentId, outcome: outcome, change: &change)
        }
        return true
    }

    /// One janitor pass: every payment whose outcome is not final and that nobody is calling about.
    static let concurrentDrives = 4

    func sweep(limit: Int = 200) async throws -> Int {
        let unsettled = try await client.withConnection { connection in
            try await PaymentStore(connection: connection, logger: logger).unsettled(gateway: gateway.name, grace: grace, limit: limit)
        }
        // A few at a time: each waits mostly on the gateway, and a claim per payment keeps two drives (or two
        // replicas) from charging one payment. Few enough to leave the main pool to requests.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, (clinicId, paymentId)) in unsettled.enumerated() {
                if index >= Self.concurrentDrives { try await group.next() }
                group.addTask { try await self.drive(clinicId: clinicId, paymentId: paymentId) }
            }
            try await group.waitForAll()
        }
        let refunds = try await client.withConnection { connection in
            try await RefundStore(connection: connection, logger: logger).unsettled(gateway: gateway.name, grace: grace, limit: limit)
        }
        for (clinicId, refundId) in refunds {
            try await driveRefund(clinicId: clinicId, refundId: refundId)
        }
        return unsettled.count + refunds.count
    }

    // MARK: refunds

    func askRefund(_ refund: RefundRecord) async -> GatewayRefundOutcome? {
        do {
            return try await gateway.refund(GatewayRefundRequest(
                idempotencyKey: refund.refundId, chargeId: refund.gatewayChargeId ?? "", amount: refund.amount))
        } catch GatewayError.invalidRequest(let code, let message) {
            return .failed(PaymentFailure(code: code, message: message))
        } catch {
            logger.warning("gateway refund outcome unknown", metadata: ["refund": "\(refund.refundId)", "error": "\(error)"])
            return nil
        }
    }

    func driveRefund(clinicId: String, refundId: String) async throws {
        let refund = try await client.withConnection { connection in
            let store = RefundStore(connection: connection, logger: logger)
            return try await store.claimForGateway(clinicId: clinicId, refundId: refundId, grace: grace)
                ? try await store.load(clinicId: clinicId, refundId: refundId) : nil
        }
        guard let refund else { return }
        let outcome = await askRefund(refund)
        try await runner.run(actor: ("system:payments", "system"), clinicId: clinicId, correlationId: refundId,
                             requestId: nil) { change in
            try await RefundSettlement().settle(clinicId: clinicId, refundId: refundId, outcome: outcome, change: &change)
        }
    }
}
