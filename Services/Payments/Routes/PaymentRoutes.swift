import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// `POST /v1/payments`, `GET /v1/payments?patientId=`, `GET /v1/payments/{paymentId}`: taking money at the
/// desk, from the patient, or from a saved card; the ledger moves only when a payment succeeds.
enum PaymentRoutes {
    struct Payment: APIExample {
        var id: String
        var patientId: String
        var status: PaymentStatus
        var method: PaymentMethodKind
        var origin: PaymentOrigin
        var amount: Money
        var refunded: Money
        var failure: PaymentFailure?
        var cardBrand: String?
        var cardLast4: String?
        var paymentMethodId: String?
        var gateway: String?
        var reference: String?
        var planId: String?
        var installmentId: String?
        /// The charges it paid, oldest first (empty until it succeeds; what is beyond them is a credit).
        var allocations: [PaymentAllocation]
        /// Where the receipt will be (payments part 2 serves it).
        var receiptUrl: String?
        var createdAt: String

        static let example = Payment(
            id: "pay_3c9d1e0f2a4b5c6d7e8f9a0b", patientId: "pat-1001", status: .succeeded, method: .card, origin: .desk,
            amount: Money(amount: 5_000, currency: "USD"), refunded: Money(amount: 0, currency: "USD"), failure: nil,
            cardBrand: "visa", cardLast4: "4242", paymentMethodId: "pm_4f2b", gateway: "sandbox", reference: "desk 118",
            planId: "plan-88", installmentId: "plan-88-inst-3",
            allocations: [PaymentAllocation(chargeId: "chg-90001", amount: Money(amount: 5_000, currency: "USD"))],
            receiptUrl: "/v1/payments/pay_3c9d1e0f2a4b5c6d7e8f9a0b/receipt", createdAt: "2026-11-25T09:30:00.000Z")

        init(id: String, patientId: String, status: PaymentStatus, method: PaymentMethodKind, origin: PaymentOrigin,
             amount: Money, refunded: Money, failure: PaymentFailure?, cardBrand: String?, cardLast4: String?,
             paymentMethodId: String?, gateway: String?, reference: String?, planId: String?, installmentId: String?,
             allocations: [PaymentAllocation], receiptUrl: String?, createdAt: String) {
            self.id = id
            self.patientId = patientId
            self.status = status
            self.method = method
            self.origin = origin
            self.amount = amount
            self.refunded = refunded
            self.failure = failure
            self.cardBrand = cardBrand
            self.cardLast4 = cardLast4
            self.paymentMethodId = paymentMethodId
            self.gateway = gateway
            self.reference = reference
            self.planId = planId
            self.installmentId = installmentId
            self.allocations = allocations
            self.receiptUrl = receiptUrl
            self.createdAt = createdAt
        }

        init(_ p: PaymentRecord, allocations: [PaymentAllocation]) {
            self.init(
                id: p.paymentId, patientId: p.patientId, status: p.status, method: p.method, origin: p.origin, amount: p.amount,
                refunded: Money(amount: p.refunded, currency: p.amount.currency), failure: p.status == .failed ? p.failure : nil,
                cardBrand: p.cardBrand, cardLast4: p.cardLast4, paymentMethodId: p.paymentMethodId, gateway: p.gateway,
                reference: p.reference, planId: p.planId, installmentId: p.installmentId, allocations: allocations,
                receiptUrl: p.status == .succeeded ? "/v1/payments/\(p.paymentId)/receipt" : nil,
                createdAt: Timestamp(p.createdAt).description)
        }
    }

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        api.write(.post, "/v1/payments", .staffOrOwnPatient(.billingCreate, patient: .ownBalancePay),
                  summary: "Take a payment: cash, check, card token, card on file, ACH, or an outside lender's financing",
                  idempotent: true, input: PaymentRequest.self, output: Payment.self, status: .created) { request, call, change in
            try await take(request, call, &change, context)
        }

        api.get("/v1/payments", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "A patient's payments, newest first",
                query: [.string("patientId", "the patient", required: true)] + QueryParameter.paging,
                output: Page<Payment>.self) { call in
            guard let patientId = call.query["patientId"], !patientId.isEmpty else {
                throw APIError.invalid("patientId is required", param: "patientId", code: "parameter_missing")
            }
            try call.caller.requireSee(patientId: patientId)
            let page = try PageRequest(call.query)
            return try await context.resources.client.withConnection { connection in
                let store = PaymentStore(connection: connection, logger: context.resources.logger)
                var payments: [Payment] = []
                for p in try await store.list(clinicId: call.caller.clinicId, patientId: patientId,
                                              before: page.startingAfter, limit: page.limit) {
                    payments.append(Payment(p, allocations: try await store.allocations(
                        clinicId: p.clinicId, paymentId: p.paymentId, currency: p.amount.currency)))
                }
                return Page(fetched: payments, limit: page.limit)
            }
        }

        api.get("/v1/payments/:paymentId", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "One payment, with its status, failure and allocations", output: Payment.self) { call in
            let paymentId = try call.parameter("paymentId")
            return try await context.resources.client.withConnection { connection in
                let store = PaymentStore(connection: connection, logger: context.resources.logger)
                guard let p = try await store.load(clinicId: call.caller.clinicId, paymentId: paymentId),
                      call.caller.maySee(patientId: p.patientId)
                else { throw APIError.notFound("payment", paymentId) }
                return Payment(p, allocations: try await store.allocations(
                    clinicId: p.clinicId, paymentId: p.paymentId, currency: p.amount.currency))
            }
        }
    }

    /// Checks the request, stores the payment, and for gateway methods commits it before calling the
    /// gateway; the outcome is settled in the request's own change (with its Idempotency-Key answer).
    static func take(_ request: PaymentRequest, _ call: RouteCall, _ change: inout Change, _ context: PaymentsContext)
        async throws -> Payment
    {
        let clinicId = call.caller.clinicId
        if call.caller.role == .patient {
            try call.caller.requireSee(patientId: request.patientId)
            guard PaymentRules.patientMethods.contains(request.method) else {
                throw APIError(.forbidden, type: "permission_error", code: "method_not_allowed",
                               message: "patients pay by card, card on file or ACH; \(request.method.rawValue) is taken at the desk")
            }
        }
        let balance = try await AdjustmentStore(connection: change.connection, logger: change.logger)
            .balance(clinicId: clinicId, patientId: request.patientId)
        guard let balance else { throw APIError.notFound("account for patient", request.patientId) }
        if let problem = PaymentRules.problem(in: request, accountCurrency: balance.currency, lenders: Set(context.settings.lenders.keys)) {
            throw APIError.unprocessable(problem.message, param: problem.param, code: problem.code)
        }
        guard let paymentId = call.idempotentId(prefix: "pay_") else { throw APIError.server(requestId: call.requestId) }
        let payments = PaymentStore(connection: change.connection, logger: change.logger)
        // A request retried after a crash names the same payment: finish it instead of making another.
        if let existing = try await payments.load(clinicId: clinicId, paymentId: paymentId) {
            guard existing.patientId == request.patientId, existing.amount == request.amount, existing.method == request.method else {
                throw APIError.unprocessable("this Idempotency-Key was used for a different payment; use a new key",
                                             param: "Idempotency-Key", code: "idempotency_key_reused")
            }
            var now = existing
            // Unsettled and nobody calling the gateway about it (the janitor may be): ask, and settle here.
            if let calledBefore = try await payments.claimForGateway(clinicId: clinicId, paymentId: paymentId,
                                                                     grace: context.collector.grace) {
                let outcome = await context.collector.ask(existing, mayHaveBeenCalled: calledBefore)
                now = try await context.collector.settlement.settle(clinicId: clinicId, paymentId: paymentId, outcome: outcome,
                                                                    change: &change)
            }
            return Payment(now, allocations: try await payments.allocations(
                clinicId: clinicId, paymentId: paymentId, currency: now.amount.currency))
        }

        var source: StoredSource?
        var method: SavedMethod?
        switch request.method {
        case .card: source = StoredSource(cardToken: request.token)
        case .ach: source = StoredSource(bankToken: request.token)
        case .cardOnFile:
            let methodId = request.paymentMethodId ?? ""
            guard let saved = try await PaymentMethodStore(connection: change.connection, logger: change.logger)
                .load(clinicId: clinicId, paymentMethodId: methodId), saved.patientId == request.patientId
            else { throw APIError.notFound("payment method", methodId) }
            guard saved.status == .active else {
                throw APIError.unprocessable("payment method \(methodId) is \(saved.status.rawValue) and cannot be charged",
                                             param: "paymentMethodId", code: "payment_method_unusable")
            }
            method = saved
            source = StoredSource(gatewayMethodId: saved.gatewayMethodId, customerId: saved.customerId, offSession: false)
        case .financing:
            source = StoredSource(lender: request.financing?.lender, approvalReference: request.financing?.approvalReference)
        case .cash, .check: break
        }
        if PaymentRules.gatewayMethods.contains(request.method), request.method != .ach {
            let declines = try await payments.recentDeclines(
                clinicId: clinicId, patientId: request.patientId, paymentMethodId: method?.paymentMethodId,
                seconds: context.settings.declineLimit.withinSeconds, now: change.now)
            if context.settings.declineLimit.isReached(recentDeclines: declines) {
                try await ReviewStore(connection: change.connection, logger: change.logger).open(
                    clinicId: clinicId, kind: .cardTesting, patientId: request.patientId,
                    subjectId: "\(request.patientId):\(Timestamp(change.now).description.prefix(13))",
                    summary: "\(declines) declined card payments within \(context.settings.declineLimit.withinSeconds / 60) minutes; further card payments refused for now",
                    at: change.now)
                throw APIError(.tooManyRequests, type: "card_error", code: "too_many_declines",
                               message: "too many declined card payments for this patient in a short time; try again later or pay another way")
            }
        }
        let usesGateway = PaymentRules.gatewayMethods.contains(request.method)
        let payment = PaymentRecord(
            clinicId: clinicId, paymentId: paymentId, patientId: request.patientId, method: request.method,
            origin: call.caller.role == .patient ? .patient : .desk, amount: request.amount, status: .processing,
            gateway: usesGateway ? context.collector.gateway.name : nil, source: source, paymentMethodId: method?.paymentMethodId,
            gatewayChargeId: nil, cardBrand: method?.brand, cardLast4: method?.last4, failure: nil, softDecline: nil,
            reference: request.reference, note: request.note, planId: request.planId, installmentId: request.installmentId,
            collectionKey: nil, attempt: 0, refunded: 0, createdBy: call.caller.subject, requestId: call.requestId,
            createdAt: change.now)
        if PaymentRules.isFarAboveBalance(request.amount.amount, balance: balance.amount) {
            try await ReviewStore(connection: change.connection, logger: change.logger).open(
                clinicId: clinicId, kind: .paymentAboveBalance, patientId: request.patientId, subjectId: paymentId,
                summary: "payment of \(request.amount) against a balance of \(balance)", at: change.now)
        }

        let outcome: GatewayChargeOutcome?
        if usesGateway {
            guard try await context.collector.record(payment, callingNow: true) else {
                throw APIError(.conflict, code: "request_in_progress", message: "this payment is already being taken; retry shortly")
            }
            outcome = await context.collector.ask(payment, mayHaveBeenCalled: false)
        } else {
            // Cash, check and financing are recorded, not charged: they succeed with the request.
            guard try await payments.insert(payment, calledGateway: false) else {
                throw APIError(.conflict, code: "request_in_progress", message: "this payment is already being taken; retry shortly")
            }
            outcome = .succeeded(GatewayCharge(id: ""))
        }
        let settled = try await context.collector.settlement.settle(
            clinicId: clinicId, paymentId: paymentId, outcome: outcome, change: &change)
        return Payment(settled, allocations: try await payments.allocations(
            clinicId: clinicId, paymentId: paymentId, currency: settled.amount.currency))
    }
}

extension PaymentRequest: APIExample {
    public static let example = PaymentRequest(
        patientId: "pat-1001", amount: Money(amount: 5_000, currency: "USD"), method: .card, token: "tok_visa",
        paymentMethodId: "pm_4f2b", financing: Financing(lender: "carecredit", approvalReference: "CC-7781"),
        reference: "desk 118", note: "paid at checkout", planId: "plan-88", installmentId: "plan-88-inst-3")
}
