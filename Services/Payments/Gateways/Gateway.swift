import Contracts
import Foundation

/// A card or bank processor (the built-in sandbox, or Stripe). Every call that moves money carries an
/// idempotency key — the payment's or the refund's id — so that asking twice never charges twice.
/// A call that throws `GatewayError.outcomeUnknown` may or may not have happened: the payment becomes
/// `unknown` and the janitor asks `lookup` later; nothing is ever decided by guess.
public protocol PaymentGateway: Sendable {
    var name: String { get }

    /// Charges a one-time token, a saved method or a bank account.
    func charge(_ request: GatewayChargeRequest) async throws(GatewayError) -> GatewayChargeOutcome

    /// Saves a one-time token as a reusable method for the patient (Stripe: SetupIntent + PaymentMethod).
    func saveMethod(_ request: GatewaySaveRequest) async throws(GatewayError) -> GatewaySavedMethod

    /// Gives back part or all of a succeeded charge.
    func refund(_ request: GatewayRefundRequest) async throws(GatewayError) -> GatewayRefundOutcome

    /// What became of the charge made with `idempotencyKey`; `nil` when the gateway never saw it.
    func lookup(idempotencyKey: String) async throws(GatewayError) -> GatewayChargeOutcome?

    /// Checks a webhook's signature and reads it. `now` is wall time (security clocks are never moved).
    func parseWebhook(payload: [UInt8], headers: [String: String], now: Date) throws(GatewayError) -> GatewayWebhook
}

/// What to charge.
public struct GatewayChargeRequest: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A one-time card token from the gateway's card form (e.g. `tok_visa`).
        case cardToken(String)
        /// A saved method; `offSession` when the patient is not present (auto-charge, plans).
        case savedMethod(gatewayMethodId: String, customerId: String?, offSession: Bool)
        /// A one-time bank account token (ACH debit).
        case bankToken(String)
    }

    public var idempotencyKey: String
    public var amount: Money
    public var source: Source
    public var description: String
    /// Shown in the gateway's dashboard and used to find the charge again (payment id, clinic, patient).
    public var metadata: [String: String]

    public init(idempotencyKey: String, amount: Money, source: Source, description: String, metadata: [String: String]) {
        self.idempotencyKey = idempotencyKey
        self.amount = amount
        self.source = source
        self.description = description
        self.metadata = metadata
    }
}

/// A charge as the gateway knows it.
public struct GatewayCharge: Sendable, Equatable {
    /// The gateway's id (Stripe: the PaymentIntent `pi_…`).
    public var id: String
    public var cardBrand: String?
    public var cardLast4: String?

    public init(id: String, cardBrand: String? = nil, cardLast4: String? = nil) {
        self.id = id
        self.cardBrand = cardBrand
        self.cardLast4 = cardLast4
    }
}

public enum GatewayChargeOutcome: Sendable, Equatable {
    case succeeded(GatewayCharge)
    /// Accepted but not final (ACH until it settles or is returned).
    case processing(GatewayCharge)
    case declined(GatewayDecline, charge: GatewayCharge?)
}

/// A refusal, with what it means for retries.
public struct GatewayDecline: Sendable, Equatable {
    public var failure: PaymentFailure
    /// Worth retrying later (insufficient funds, processing error).
    public var soft: Bool
    /// The card itself is unusable (expired, lost, stolen): flag the saved method.
    public var methodNeedsUpdating: Bool

    public init(failure: PaymentFailure, soft: Bool, methodNeedsUpdating: Bool = false) {
        self.failure = failure
        self.soft = soft
        self.methodNeedsUpdating = methodNeedsUpdating
    }
}

public struct GatewaySaveRequest: Sendable, Equatable {
    public var idempotencyKey: String
    public var token: String
    /// The patient as the gateway's customer is named (Stripe: a Customer created on first save).
    public var customerId: String?
    public var metadata: [String: String]

    public init(idempotencyKey: String, token: String, customerId: String?, metadata: [String: String]) {
        self.idempotencyKey = idempotencyKey
        self.token = token
        self.customerId = customerId
        self.metadata = metadata
    }
}

public struct GatewaySavedMethod: Sendable, Equatable {
    public var gatewayMethodId: String
    public var customerId: String?
    /// `card` or `bank_account`.
    public var kind: String
    public var brand: String?
    public var last4: String
    public var expMonth: Int?
    public var expYear: Int?

    public init(gatewayMethodId: String, customerId: String?, kind: String, brand: String?, last4: String,
                expMonth: Int?, expYear: Int?) {
        self.gatewayMethodId = gatewayMethodId
        self.customerId = customerId
        self.kind = kind
        self.brand = brand
        self.last4 = last4
        self.expMonth = expMonth
        self.expYear = expYear
    }
}

public struct GatewayRefundRequest: Sendable, Equatable {
    public var idempotencyKey: String
    public var chargeId: String
    public var amount: Money

    public init(idempotencyKey: String, chargeId: String, amount: Money) {
        self.idempotencyKey = idempotencyKey
        self.chargeId = chargeId
        self.amount = amount
    }
}

public enum GatewayRefundOutcome: Sendable, Equatable {
    case succeeded(refundId: String)
    case pending(refundId: String)
    case failed(PaymentFailure)
}

/// A webhook the gateway sent, read and verified.
public struct GatewayWebhook: Sendable, Equatable {
    public enum Fact: Sendable, Equatable {
        /// The charge made with `idempotencyKey` (our payment id) settled or failed.
        case chargeSettled(idempotencyKey: String, GatewayChargeOutcome)
        /// Anything the suite does not act on (kept for the audit trail).
        case ignored(type: String)
    }

    /// The gateway's event id: a replayed webhook has one effect.
    public var id: String
    public var fact: Fact

    public init(id: String, fact: Fact) {
        self.id = id
        self.fact = fact
    }
}

public enum GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call may have reached the gateway (timeout, connection lost, 5xx, an answer we cannot read).
    case outcomeUnknown(String)
    /// The gateway refused the request itself (bad token, unknown method): nothing happened.
    case invalidRequest(code: String, message: String)
    /// A webhook whose signature or timestamp does not verify.
    case badSignature(String)

    public var description: String {
        switch self {
        case .outcomeUnknown(let why): "outcome unknown: \(why)"
        case .invalidRequest(let code, let message): "\(code): \(message)"
        case .badSignature(let why): "bad webhook signature: \(why)"
        }
    }
}
