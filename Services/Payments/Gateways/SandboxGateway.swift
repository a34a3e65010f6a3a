import Contracts
import Foundation
import WebAPI
import Logging
import PostgresNIO
import Storage

/// The built-in gateway: no account needed, test tokens named like Stripe's test cards. It keeps its own
/// books (the `sandbox_*` tables, each call committed on its own like an outside system), so a charge it
/// made survives a crash of payments and the janitor can find it by idempotency key. ACH settles or is
/// returned `achDelay` after the charge by the service clock, so tests move the clock instead of waiting.
struct SandboxGateway: PaymentGateway {
    let client: PostgresClient
    let clock: ServiceClock
    let logger: Logger
    var achDelay: TimeInterval = 2 * 86_400

    var name: String { "sandbox" }

    /// What a test token does. The README's table of test tokens is this list.
    enum Behaviour {
        case succeed(brand: String, last4: String)
        case decline(GatewayDecline)
        /// Charges, then the call times out: the caller cannot know the outcome.
        case chargeThenTimeOut
        /// A bank debit: processing, then settled or returned with `returnCode`.
        case bank(returnCode: String?)

        static func of(_ token: String) -> Behaviour? {
            switch token {
            case "tok_visa": .succeed(brand: "visa", last4: "4242")
            case "tok_mastercard": .succeed(brand: "mastercard", last4: "4444")
            case "tok_amex": .succeed(brand: "amex", last4: "8431")
            case "tok_chargeDeclined":
                .decline(GatewayDecline(failure: PaymentFailure(code: "card_declined", declineCode: "generic_decline",
                                                                message: "Your card was declined."), soft: false))
            case "tok_chargeDeclinedInsufficientFunds":
                .decline(GatewayDecline(failure: PaymentFailure(code: "card_declined", declineCode: "insufficient_funds",
                                                                message: "Your card has insufficient funds."), soft: true))
            case "tok_chargeDeclinedExpiredCard":
                .decline(GatewayDecline(failure: PaymentFailure(code: "expired_card", declineCode: "expired_card",
                                                                message: "Your card has expired."),
                                        soft: false, methodNeedsUpdating: true))
            case "tok_processingError":
                .decline(GatewayDecline(failure: PaymentFailure(code: "processing_error", declineCode: nil,
                                                                message: "An error occurred while processing your card. Try again later."),
                                        soft: true))
            case "tok_timeoutAfterCharge": .chargeThenTimeOut
            case "btok_settles": .bank(returnCode: nil)
            case "btok_returnsR01": .bank(returnCode: "R01")
            default: nil
            }
        }
    }

    func charge(_ request: GatewayChargeRequest) async throws(GatewayError) -> GatewayChargeOutcome {
        if let known = try await lookup(idempotencyKey: request.idempotencyKey) { return known }
        let token: String
        switch request.source {
        case .cardToken(let card): token = card
        case .bankToken(let bank): token = bank
        case .savedMethod(let methodId, _, _): token = try await savedToken(methodId)
        }
        guard let behaviour = Behaviour.of(token) else {
            throw .invalidRequest(code: "token_invalid", message: "no such token: '\(token)' (see the sandbox's test tokens)")
        }
        let settlesAt: Date? = if case .bank = behaviour { clock.now().addingTimeInterval(achDelay) } else { nil }
        try await run("""
            INSERT INTO sandbox_charges (idempotency_key, gateway_charge_id, token, amount, currency, outcome, settles_at)
            VALUES (\(request.idempotencyKey), \(NewId.make("ch_sbx_")), \(token), \(request.amount.amount),
                    \(request.amount.currency), 'made', \(settlesAt))
            ON CONFLICT (idempotency_key) DO NOTHING
            """)
        guard let outcome = try await lookup(idempotencyKey: request.idempotencyKey) else {
            throw .outcomeUnknown("the sandbox lost a charge it just made")
        }
        if case .chargeThenTimeOut = behaviour { throw .outcomeUnknown("the sandbox timed out after charging (tok_timeoutAfterCharge)") }
        return outcome
    }

    func lookup(idempotencyKey: String) async throws(GatewayError) -> GatewayChargeOutcome? {
        let rows: [(String, String, Date?)]
        do {
            rows = try await client.query("""
                SELECT gateway_charge_id, token, settles_at FROM sandbox_charges WHERE idempotency_key = \(idempotencyKey)
                """, logger: logger).decode((String, String, Date?).self).all().map { ($0.0, $0.1, $0.2) }
        } catch {
            throw .outcomeUnknown("the sandbox's books are unreachable: \(String(reflecting: error))")
        }
        guard let (chargeId, token, settlesAt) = rows.first, let behaviour = Behaviour.of(token) else { return nil }
        switch behaviour {
        case .succeed(let brand, let last4): return .succeeded(GatewayCharge(id: chargeId, cardBrand: brand, cardLast4: last4))
        case .chargeThenTimeOut: return .succeeded(GatewayCharge(id: chargeId, cardBrand: "visa", cardLast4: "0341"))
        case .decline(let decline): return .declined(decline, charge: GatewayCharge(id: chargeId))
        case .bank(let returnCode):
            let charge = GatewayCharge(id: chargeId, cardBrand: nil, cardLast4: "6789")
            guard let settlesAt, clock.now() >= settlesAt else { return .processing(charge) }
            guard let returnCode else { return .succeeded(charge) }
            return .declined(GatewayDecline(
                failure: PaymentFailure(code: "bank_account_return", declineCode: returnCode,
                                        message: "The bank returned the debit (\(returnCode): insufficient funds)."),
                soft: false), charge: charge)
        }
    }

    func saveMethod(_ request: GatewaySaveRequest) async throws(GatewayError) -> GatewaySavedMethod {
        guard let behaviour = Behaviour.of(request.token) else {
            throw .invalidRequest(code: "token_invalid", message: "no such token: '\(request.token)'")
        }
        try await run("""
            INSERT INTO sandbox_methods (gateway_method_id, idempotency_key, token)
            VALUES (\(NewId.make("pm_sbx_")), \(request.idempotencyKey), \(request.token))
            ON CONFLICT (idempotency_key) DO NOTHING
            """)
        let methodId: String
        do {
            let rows = try await client.query(
                "SELECT gateway_method_id FROM sandbox_methods WHERE idempotency_key = \(request.idempotencyKey)",
                logger: logger).decode(String.self).all()
            guard let first = rows.first else { throw GatewayError.outcomeUnknown("the sandbox lost a method it just saved") }
            methodId = first
        } catch {
            throw .outcomeUnknown("the sandbox's books are unreachable: \(error)")
        }
        let customer = request.customerId ?? NewId.make("cus_sbx_")
        switch behaviour {
        case .bank: return GatewaySavedMethod(gatewayMethodId: methodId, customerId: customer, kind: "bank_account",
                                              brand: nil, last4: "6789", expMonth: nil, expYear: nil)
        case .succeed(let brand, let last4):
            return GatewaySavedMethod(gatewayMethodId: methodId, customerId: customer, kind: "card", brand: brand,
                                      last4: last4, expMonth: 12, expYear: 2034)
        case .decline, .chargeThenTimeOut:
            // Saving works; charging it later behaves like the token (how tests get a card that declines off-session).
            return GatewaySavedMethod(gatewayMethodId: methodId, customerId: customer, kind: "card", brand: "visa",
                                      last4: "0341", expMonth: 12, expYear: 2034)
        }
    }

    func refund(_ request: GatewayRefundRequest) async throws(GatewayError) -> GatewayRefundOutcome {
        do {
            let rows = try await client.query("""
                WITH made AS (
                    INSERT INTO sandbox_refunds (idempotency_key, gateway_refund_id, gateway_charge_id, amount)
                    SELECT \(request.idempotencyKey), \(NewId.make("re_sbx_")), \(request.chargeId), \(request.amount.amount)
                    WHERE EXISTS (SELECT 1 FROM sandbox_charges WHERE gateway_charge_id = \(request.chargeId))
                    ON CONFLICT (idempotency_key) DO NOTHING RETURNING gateway_refund_id)
                SELECT gateway_refund_id FROM made
                UNION ALL SELECT gateway_refund_id FROM sandbox_refunds WHERE idempotency_key = \(request.idempotencyKey)
                """, logger: logger).decode(String.self).all()
            guard let refundId = rows.first else {
                throw GatewayError.invalidRequest(code: "charge_unknown", message: "no such charge: \(request.chargeId)")
            }
            return .succeeded(refundId: refundId)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .outcomeUnknown("the sandbox's books are unreachable: \(error)")
        }
    }

    func parseWebhook(payload: [UInt8], headers: [String: String], now: Date) throws(GatewayError) -> GatewayWebhook {
        throw .badSignature("the sandbox gateway sends no webhooks")
    }

    private func savedToken(_ methodId: String) async throws(GatewayError) -> String {
        do {
            let rows = try await client.query(
                "SELECT token FROM sandbox_methods WHERE gateway_method_id = \(methodId)", logger: logger
            ).decode(String.self).all()
            guard let token = rows.first else {
                throw GatewayError.invalidRequest(code: "payment_method_unknown", message: "no such payment method: \(methodId)")
            }
            return token
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .outcomeUnknown("the sandbox's books are unreachable: \(error)")
        }
    }

    private func run(_ query: PostgresQuery) async throws(GatewayError) {
        do {
            try await client.query(query, logger: logger)
        } catch {
            throw .outcomeUnknown("the sandbox's books are unreachable: \(String(reflecting: error))")
        }
    }
}
