import Contracts
import Foundation

/// What Stripe's answers mean for the suite: PaymentIntents, errors, refunds, PaymentMethods and webhook
/// events to gateway outcomes. Pure: bytes and HTTP statuses in, values out, so every rule is unit-tested.
/// The rule throughout: only an answer we can read says what happened; anything else is `outcomeUnknown`.
public enum StripeResponses {
    /// Declines worth retrying later: the card is fine, the moment was not.
    static let softDeclines: Set<String> = [
        "insufficient_funds", "processing_error", "try_again_later", "issuer_not_available", "reenter_transaction",
        "approve_with_id", "card_velocity_exceeded", "withdrawal_count_limit_exceeded", "rate_limit",
    ]
    /// Declines that say the card itself is unusable: the saved method must be replaced.
    static let unusableCards: Set<String> = [
        "expired_card", "lost_card", "stolen_card", "incorrect_number", "invalid_number", "pickup_card",
        "restricted_card", "invalid_expiry_month", "invalid_expiry_year", "invalid_account",
        "new_account_information_available",
    ]

    // MARK: charges

    /// The answer to creating (and confirming) a PaymentIntent.
    public static func chargeOutcome(status: Int, body: [UInt8]) throws(GatewayError) -> GatewayChargeOutcome {
        if (200..<300).contains(status) {
            return try outcome(of: decode(StripePaymentIntent.self, body, what: "PaymentIntent"))
        }
        let error = readError(body)
        if status == 402, let error, error.type == "card_error" {
            return .declined(decline(error), charge: error.paymentIntent.map { GatewayCharge(id: $0.id) })
        }
        throw failure(status: status, error: error)
    }

    /// A PaymentIntent as it stands (create, search, webhook).
    public static func outcome(of intent: StripePaymentIntent) throws(GatewayError) -> GatewayChargeOutcome {
        let card = intent.latestCharge?.paymentMethodDetails?.card
        let charge = GatewayCharge(id: intent.id, cardBrand: card?.brand, cardLast4: card?.last4)
        switch intent.status {
        case "succeeded":
            return .succeeded(charge)
        case "processing":
            return .processing(charge)
        case "requires_payment_method", "canceled":
            if let error = intent.lastPaymentError { return .declined(decline(error), charge: charge) }
            // No attempt failed: it was never confirmed, or canceled before it was. No money moved either way.
            let failure = PaymentFailure(code: intent.status == "canceled" ? "canceled" : "payment_incomplete",
                                         message: "Stripe did not charge this PaymentIntent (status \(intent.status)).")
            return .declined(GatewayDecline(failure: failure, soft: false), charge: charge)
        case "requires_action":
            // 3-D Secure wanted: the patient must authenticate on a card form; a back office cannot.
            let failure = PaymentFailure(code: "authentication_required", declineCode: "authentication_required",
                                         message: "The card's bank asks the patient to authenticate; take this payment on the card form with the patient present.")
            return .declined(GatewayDecline(failure: failure, soft: false), charge: charge)
        default:
            // requires_confirmation / requires_capture: never asked for by this adapter, so not ours to guess.
            throw .outcomeUnknown("PaymentIntent \(intent.id) is in status \(intent.status), which this adapter never creates")
        }
    }

    /// A card error (`type == card_error`) as a decline, with what it means for retries and for the saved card.
    public static func decline(_ error: StripeError) -> GatewayDecline {
        let reasons = [error.code, error.declineCode].compactMap { $0 }
        let failure = PaymentFailure(code: error.code ?? error.type, declineCode: error.declineCode,
                                     message: error.message ?? "The card was declined.")
        return GatewayDecline(failure: failure, soft: reasons.contains { softDeclines.contains($0) },
                              methodNeedsUpdating: reasons.contains { unusableCards.contains($0) })
    }

    /// The newest PaymentIntent of a search or list whose `metadata[idempotency_key]` is `key`.
    public static func matching(_ key: String, in list: StripeList<StripePaymentIntent>) -> StripePaymentIntent? {
        list.data.filter { $0.metadata["idempotency_key"] == key }.max { $0.created < $1.created }
    }

    // MARK: refunds, customers, payment methods

    public static func refundOutcome(status: Int, body: [UInt8]) throws(GatewayError) -> GatewayRefundOutcome {
        let refund = try success(StripeRefund.self, status: status, body: body, what: "Refund")
        switch refund.status {
        case "succeeded":
            return .succeeded(refundId: refund.id)
        case "pending", "requires_action":
            return .pending(refundId: refund.id)
        case "failed", "canceled":
            let reason = refund.failureReason ?? refund.status
            return .failed(PaymentFailure(code: "refund_\(refund.status)", declineCode: refund.failureReason,
                                          message: "Stripe could not refund \(refund.id) (\(reason))."))
        default:
            throw .outcomeUnknown("Refund \(refund.id) is in status \(refund.status), which this adapter does not know")
        }
    }

    /// A PaymentMethod attached to a customer, as the suite saves it.
    public static func savedMethod(status: Int, body: [UInt8]) throws(GatewayError) -> GatewaySavedMethod {
        let method = try success(StripePaymentMethod.self, status: status, body: body, what: "PaymentMethod")
        if let card = method.card {
            return GatewaySavedMethod(gatewayMethodId: method.id, customerId: method.customer, kind: "card",
                                      brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear)
        }
        if let bank = method.usBankAccount {
            return GatewaySavedMethod(gatewayMethodId: method.id, customerId: method.customer, kind: "bank_account",
                                      brand: bank.bankName, last4: bank.last4, expMonth: nil, expYear: nil)
        }
        throw .outcomeUnknown("PaymentMethod \(method.id) is of type \(method.type), neither a card nor a US bank account")
    }

    /// A 2xx answer decoded as `T`; any other answer thrown as what it means. A card error here (saving a
    /// declined card) is a refusal: nothing was saved.
    public static func success<T: Decodable>(_ type: T.Type, status: Int, body: [UInt8], what: String) throws(GatewayError) -> T {
        if (200..<300).contains(status) { return try decode(type, body, what: what) }
        let error = readError(body)
        if status == 402, let error, error.type == "card_error" {
            throw .invalidRequest(code: error.code ?? error.type, message: error.message ?? "The card was declined.")
        }
        throw failure(status: status, error: error)
    }

    /// An answer that is neither a success nor a card decline. A readable 4xx refusal means Stripe did nothing;
    /// 409 (the same key still in flight), 429, 5xx and unreadable answers leave the outcome unknown.
    public static func failure(status: Int, error: StripeError?) -> GatewayError {
        let said = error.map { ": \($0.type) \($0.code ?? "") \($0.message ?? "")" } ?? " (no readable error)"
        guard let error, (400..<500).contains(status), status != 409, status != 429 else {
            return .outcomeUnknown("Stripe answered HTTP \(status)\(said)")
        }
        return .invalidRequest(code: error.code ?? error.type, message: error.message ?? "Stripe refused the request (HTTP \(status)).")
    }

    // MARK: webhooks

    /// A verified event's body: the PaymentIntent events the suite acts on, everything else ignored.
    /// A PaymentIntent created outside the suite (no `metadata[idempotency_key]`) is ignored too, so Stripe
    /// does not retry it for days.
    public static func webhook(payload: [UInt8]) throws(GatewayError) -> GatewayWebhook {
        let event: StripeEvent
        do { event = try JSONDecoder().decode(StripeEvent.self, from: Data(payload)) } catch {
            throw .invalidRequest(code: "webhook_unreadable", message: "The webhook body is not a Stripe event: \(error)")
        }
        switch event.type {
        case "payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed":
            guard let intent = event.data.paymentIntent else {
                throw .invalidRequest(code: "webhook_unreadable", message: "Event \(event.id) (\(event.type)) carries no readable PaymentIntent")
            }
            guard let key = intent.metadata["idempotency_key"] else { return GatewayWebhook(id: event.id, fact: .ignored(type: event.type)) }
            return GatewayWebhook(id: event.id, fact: .chargeSettled(idempotencyKey: key, try outcome(of: intent)))
        default:
            return GatewayWebhook(id: event.id, fact: .ignored(type: event.type))
        }
    }

    // MARK: decoding

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], what: String) throws(GatewayError) -> T {
        do { return try JSONDecoder().decode(type, from: Data(body)) } catch {
            throw .outcomeUnknown("Stripe's answer is not a readable \(what): \(error)")
        }
    }

    static func readError(_ body: [UInt8]) -> StripeError? {
        try? JSONDecoder().decode(StripeErrorBody.self, from: Data(body)).error
    }
}

// Stripe's objects: only the fields the suite reads, named as on the wire.

public struct StripePaymentIntent: Decodable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var created: Int64
    public var metadata: [String: String]
    /// Present only when the request expanded it (`expand[]=latest_charge`); otherwise Stripe sends its id.
    public var latestCharge: StripeCharge?
    public var lastPaymentError: StripeError?

    enum CodingKeys: String, CodingKey {
        case id, status, created, metadata
        case latestCharge = "latest_charge"
        case lastPaymentError = "last_payment_error"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(String.self, forKey: .status)
        created = try container.decodeIfPresent(Int64.self, forKey: .created) ?? 0
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata) ?? [:]
        latestCharge = try? container.decodeIfPresent(StripeCharge.self, forKey: .latestCharge)
        lastPaymentError = try container.decodeIfPresent(StripeError.self, forKey: .lastPaymentError)
    }
}

public struct StripeCharge: Decodable, Sendable, Equatable {
    public struct Details: Decodable, Sendable, Equatable {
        public var card: Card?
    }
    public struct Card: Decodable, Sendable, Equatable {
        public var brand: String?
        public var last4: String?
    }
    public var id: String
    public var paymentMethodDetails: Details?

    enum CodingKeys: String, CodingKey {
        case id
        case paymentMethodDetails = "payment_method_details"
    }
}

/// Stripe's `error` object (and a PaymentIntent's `last_payment_error`).
public struct StripeError: Decodable, Sendable, Equatable {
    public struct Reference: Decodable, Sendable, Equatable {
        public var id: String
    }
    /// `card_error`, `invalid_request_error`, `idempotency_error`, `api_error`, …
    public var type: String
    public var code: String?
    public var declineCode: String?
    public var message: String?
    /// The PaymentIntent a declined charge left behind, when there is one.
    public var paymentIntent: Reference?

    enum CodingKeys: String, CodingKey {
        case type, code, message
        case declineCode = "decline_code"
        case paymentIntent = "payment_intent"
    }

    public init(type: String, code: String? = nil, declineCode: String? = nil, message: String? = nil, paymentIntent: String? = nil) {
        self.type = type
        self.code = code
        self.declineCode = declineCode
        self.message = message
        self.paymentIntent = paymentIntent.map { Reference(id: $0) }
    }
}

struct StripeErrorBody: Decodable {
    var error: StripeError
}

public struct StripeList<Element: Decodable & Sendable>: Decodable, Sendable {
    public var data: [Element]
    public var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case data
        case hasMore = "has_more"
    }
}

struct StripeRefund: Decodable {
    var id: String
    var status: String
    var failureReason: String?

    enum CodingKeys: String, CodingKey {
        case id, status
        case failureReason = "failure_reason"
    }
}

struct StripeCustomer: Decodable {
    var id: String
}

struct StripePaymentMethod: Decodable {
    struct Card: Decodable {
        var brand: String?
        var last4: String
        var expMonth: Int?
        var expYear: Int?

        enum CodingKeys: String, CodingKey {
            case brand, last4
            case expMonth = "exp_month"
            case expYear = "exp_year"
        }
    }
    struct BankAccount: Decodable {
        var bankName: String?
        var last4: String

        enum CodingKeys: String, CodingKey {
            case last4
            case bankName = "bank_name"
        }
    }
    var id: String
    var type: String
    var customer: String?
    var card: Card?
    var usBankAccount: BankAccount?

    enum CodingKeys: String, CodingKey {
        case id, type, customer, card
        case usBankAccount = "us_bank_account"
    }
}

/// An event: `{id, type, data: {object}}`; the object is read as a PaymentIntent only when it is one.
struct StripeEvent: Decodable {
    struct Payload: Decodable {
        var paymentIntent: StripePaymentIntent?

        enum CodingKeys: String, CodingKey { case object }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            paymentIntent = try? container.decode(StripePaymentIntent.self, forKey: .object)
        }
    }
    var id: String
    var type: String
    var data: Payload
}
