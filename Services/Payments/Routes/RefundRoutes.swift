import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// `POST /v1/refunds`: give back part or all of a succeeded payment — through the gateway for card and
/// ACH, recorded for cash, check and financing. Never more than what is left to refund.
enum RefundRoutes {
    struct RefundRequest: APIExample {
        var paymentId: String
        /// Default: everything left to refund.
        var amount: Money?
        var reason: String?

        static let example = RefundRequest(paymentId: "pay_3c9d1e0f2a4b5c6d7e8f9a0b", amount: Money(amount: 2_500, currency: "USD"),
                                           reason: "overpaid at the desk")
    }

    struct Refund: APIExample {
        var id: String
        var paymentId: String
        var status: RefundStatus
        var amount: Money
        var failure: PaymentFailure?
        var reason: String?

        static let example = Refund(id: "re_7a1b2c3d4e5f6a7b8c9d0e1f", paymentId: "pay_3c9d1e0f2a4b5c6d7e8f9a0b", status: .succeeded,
                                    amount: Money(amount: 2_500, currency: "USD"),
                                    failure: PaymentFailure(code: "charge_unknown", message: "shown when status is failed"),
                                    reason: "overpaid at the desk")
    }

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        api.write(.post, "/v1/refunds", .staff(.paymentsRefund),
                  summary: "Refund part or all of a succeeded payment (amounts above the clinic's limit need admin)",
                  idempotent: true, input: RefundRequest.self, output: Refund.self, status: .created) { request, call, change in
            let clinicId = call.caller.clinicId
            guard let refundId = call.idempotentId(prefix: "re_") else { throw APIError.server(requestId: call.requestId) }
            let refunds = RefundStore(connection: change.connection, logger: change.logger)
            if let existing = try await refunds.load(clinicId: clinicId, refundId: refundId) {
                // Retried after a crash: finish the refund it started (the janitor may be at it: then as it is).
                if try await refunds.claimForGateway(clinicId: clinicId, refundId: refundId, grace: context.collector.grace) {
                    let outcome = await context.collector.askRefund(existing)
                    try await RefundSettlement().settle(clinicId: clinicId, refundId: refundId, outcome: outcome, change: &change)
                }
                return Refund(try await refunds.load(clinicId: clinicId, refundId: refundId) ?? existing)
            }
            // The payment row's lock serialises refunds of one payment: what is left is read once.
            guard let payment = try await PaymentStore(connection: change.connection, logger: change.logger)
                .load(clinicId: clinicId, paymentId: request.paymentId, lock: true)
            else { throw APIError.notFound("payment", request.paymentId) }
            let pending = try await refunds.pendingAmount(clinicId: clinicId, paymentId: payment.paymentId)
            let amount = request.amount ?? Money(amount: payment.amount.amount - payment.refunded - pending, currency: payment.amount.currency)
            if let problem = RefundRules.problem(amount: amount, paymentAmount: payment.amount, refunded: payment.refunded + pending,
                                                 status: payment.status) {
                throw APIError.unprocessable(problem.message, param: "amount", code: problem.code)
            }
            if (request.reason?.count ?? 0) > 500 {
                throw APIError.invalid("reason is longer than 500 characters", param: "reason")
            }
            if amount.amount > context.settings.largeRefundAbove {
                guard call.caller.may(.largeAdjustments) else {
                    throw APIError(.forbidden, type: "permission_error", code: "admin_required",
                                   message: "refunds above \(context.settings.largeRefundAbove) minor units need the practice owner (admin)")
                }
                try change.audit("limit.used", objectType: "refund", objectId: refundId,
                                 summary: "refund of \(amount) above the \(context.settings.largeRefundAbove) limit, by \(call.caller.role.rawValue)")
            }
            let throughGateway = payment.gateway != nil
            let refund = RefundRecord(
                clinicId: clinicId, refundId: refundId, paymentId: payment.paymentId, amount: amount, status: .pending,
                gateway: payment.gateway, gatewayChargeId: payment.gatewayChargeId, gatewayRefundId: nil, failure: nil,
                reason: request.reason, createdBy: call.caller.subject, requestId: call.requestId, createdAt: change.now)
            let outcome: GatewayRefundOutcome?
            if throughGateway {
                // Committed before the gateway is asked, so a crash leaves a refund the janitor finishes.
                _ = try await context.resources.separateClient.withConnection { connection in
                    try await RefundStore(connection: connection, logger: change.logger).insert(refund, callingNow: true)
                }
                outcome = await context.collector.askRefund(refund)
            } else {
                _ = try await refunds.insert(refund, callingNow: false)
                outcome = .succeeded(refundId: "")
            }
            try await RefundSettlement().settle(clinicId: clinicId, refundId: refundId, outcome: outcome, change: &change)
            return Refund(try await refunds.load(clinicId: clinicId, refundId: refundId) ?? refund)
        }
    }
}

extension RefundRoutes.Refund {
    init(_ r: RefundRecord) {
        self.init(id: r.refundId, paymentId: r.paymentId, status: r.status, amount: r.amount,
                  failure: r.status == .failed ? r.failure : nil, reason: r.reason)
    }
}
