import Contracts
import Foundation

/// A payment's status, as the API and events name it.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable, SchemaEnum {
    /// Sent to the gateway and not final yet (ACH until it settles), or not yet answered.
    case processing
    case succeeded
    case failed
    /// The gateway may or may not have charged: the janitor asks it by idempotency key. Never guessed.
    case unknown

    var isFinal: Bool { self == .succeeded || self == .failed }
}

/// What happens to a payment when the gateway answers (or does not). Pure: the whole life of a payment.
public enum PaymentTransition: Equatable, Sendable {
    /// Post the payment to the ledger and publish payments.payment.succeeded.
    case succeed(GatewayCharge)
    /// Publish payments.payment.failed; the ledger does not move.
    case fail(GatewayDecline)
    /// Accepted, not final: wait for the gateway (janitor or webhook).
    case keepProcessing(GatewayCharge)
    case becomeUnknown
    /// Already final, or the answer changes nothing: no effect.
    case none

    /// The transition of a payment in `status` given the gateway's outcome (`nil` outcome: it did not
    /// answer). A final payment never changes: a late or replayed answer is ignored.
    public static func on(_ status: PaymentStatus, outcome: GatewayChargeOutcome?) -> PaymentTransition {
        guard !status.isFinal else { return .none }
        switch outcome {
        case .succeeded(let charge)?: return .succeed(charge)
        case .declined(let decline, _)?: return .fail(decline)
        case .processing(let charge)?: return .keepProcessing(charge)
        case nil: return status == .unknown ? .none : .becomeUnknown
        }
    }

    public var newStatus: PaymentStatus? {
        switch self {
        case .succeed: .succeeded
        case .fail: .failed
        case .keepProcessing: .processing
        case .becomeUnknown: .unknown
        case .none: nil
        }
    }
}

/// What a payment request asks for, as `POST /v1/payments` takes it.
public struct PaymentRequest: Codable, Sendable {
    public var patientId: String
    public var amount: Money
    public var method: PaymentMethodKind
    /// A one-time gateway token: a card token (`tok_…`) for `card`, a bank token (`btok_…`) for `ach`.
    public var token: String?
    /// A saved method (`pm_…`) for `card_on_file`.
    public var paymentMethodId: String?
    /// For `financing`: the lender and its approval reference.
    public var financing: Financing?
    /// A check number, a receipt number, anything the desk wants to find it by.
    public var reference: String?
    public var note: String?
    public var planId: String?
    public var installmentId: String?

    public struct Financing: Codable, Sendable, Equatable {
        /// e.g. `carecredit`, `sunbit` (a configured lender).
        public var lender: String
        public var approvalReference: String
    }
}

/// The rules a payment request must satisfy before anything is written. Pure.
public enum PaymentRules {
    /// Methods a patient may use with their own token.
    static let patientMethods: Set<PaymentMethodKind> = [.card, .cardOnFile, .ach]
    /// Methods that go through the gateway.
    static let gatewayMethods: Set<PaymentMethodKind> = [.card, .cardOnFile, .ach]

    /// The first problem as (field, message, code); nil when the request may go ahead.
    public static func problem(in request: PaymentRequest, accountCurrency: String?, lenders: Set<String>)
        -> (param: String, message: String, code: String)?
    {
        if request.patientId.trimmingCharacters(in: .whitespaces).isEmpty {
            return ("patientId", "patientId is empty", "parameter_missing")
        }
        if let problem = ChargeRules.moneyProblems(request.amount, field: "amount").first {
            return ("amount", problem, "amount_invalid")
        }
        if let accountCurrency, accountCurrency != request.amount.currency {
            return ("amount.currency", "the patient's account is in \(accountCurrency), not \(request.amount.currency)",
                    "currency_mismatch")
        }
        for (field, value, limit) in [("reference", request.reference, 200), ("note", request.note, 2_000)] {
            if (value?.count ?? 0) > limit { return (field, "\(field) is longer than \(limit) characters", "parameter_invalid") }
        }
        if request.installmentId != nil && request.planId == nil {
            return ("planId", "an installmentId needs the planId it belongs to", "parameter_invalid")
        }
        switch request.method {
        case .card:
            guard let token = request.token, !token.isEmpty else {
                return ("token", "a card payment needs the one-time card token from the card form", "parameter_missing")
            }
            if !TokenKind.isCardToken(token) {
                return ("token", "'\(token)' is not a card token (tok_…)", "token_wrong_kind")
            }
        case .ach:
            guard let token = request.token, !token.isEmpty else {
                return ("token", "an ACH payment needs the one-time bank account token", "parameter_missing")
            }
            if !TokenKind.isBankToken(token) {
                return ("token", "'\(token)' is not a bank account token (btok_…)", "token_wrong_kind")
            }
        case .cardOnFile:
            if request.paymentMethodId?.isEmpty ?? true {
                return ("paymentMethodId", "a card-on-file payment needs the saved method's id (pm_…)", "parameter_missing")
            }
        case .financing:
            guard let financing = request.financing else {
                return ("financing", "a financing payment needs the lender and its approval reference", "parameter_missing")
            }
            if !lenders.contains(financing.lender) {
                return ("financing.lender", "'\(financing.lender)' is not a configured lender (\(lenders.sorted().joined(separator: ", ")))",
                        "lender_unknown")
            }
            if financing.approvalReference.trimmingCharacters(in: .whitespaces).isEmpty {
                return ("financing.approvalReference", "the lender's approval reference is empty", "parameter_missing")
            }
        case .cash, .check:
            break
        }
        if ![.card, .ach].contains(request.method), request.token != nil {
            return ("token", "a token goes with card or ach payments only", "token_wrong_kind")
        }
        if request.method != .cardOnFile, request.paymentMethodId != nil {
            return ("paymentMethodId", "paymentMethodId goes with card_on_file payments only", "parameter_invalid")
        }
        return nil
    }

    /// Whether an amount is far above what the patient owes (a typo, or a stolen card): flagged for review.
    /// Far means above the balance by more than the balance itself and more than 1,000.00.
    public static func isFarAboveBalance(_ amount: Int64, balance: Int64) -> Bool {
        amount - max(balance, 0) > max(balance, 100_000)
    }
}

/// Token prefixes, as Stripe names them.
public enum TokenKind {
    public static func isCardToken(_ token: String) -> Bool { token.hasPrefix("tok_") }
    public static func isBankToken(_ token: String) -> Bool { token.hasPrefix("btok_") }
}

/// The rules of refunds. Pure.
public enum RefundRules {
    /// The first problem; nil when the refund may go ahead.
    public static func problem(amount: Money, paymentAmount: Money, refunded: Int64, status: PaymentStatus)
        -> (message: String, code: String)?
    {
        guard status == .succeeded else {
            return ("only a succeeded payment can be refunded; this one is \(status.rawValue)", "payment_not_refundable")
        }
        if let problem = ChargeRules.moneyProblems(amount, field: "amount").first { return (problem, "amount_invalid") }
        guard amount.currency == paymentAmount.currency else {
            return ("the payment is in \(paymentAmount.currency), not \(amount.currency)", "currency_mismatch")
        }
        let left = paymentAmount.amount - refunded
        guard amount.amount <= left else {
            return ("a refund of \(amount.amount) exceeds what is left to refund on this payment (\(left) minor units)",
                    "refund_exceeds_payment")
        }
        return nil
    }
}

extension Transfer {
    /// Money the patient paid: their receivable goes down, the practice's collections (by method) go up.
    public static func payment(id: String, patientId: String, method: PaymentMethodKind, amount: Money) -> Transfer {
        Transfer(id: "payment:\(id)", kind: .payment, currency: amount.currency, postings: [
            Posting(account: .receivable(patientId: patientId), amount: -amount.amount),
            Posting(account: LedgerAccount(name: "practice:collections:\(method.rawValue)"), amount: amount.amount),
        ])
    }

    /// Money given back: the opposite of (part of) a payment.
    public static func refund(id: String, patientId: String, method: PaymentMethodKind, amount: Money) -> Transfer {
        Transfer(id: "refund:\(id)", kind: .refund, currency: amount.currency, postings: [
            Posting(account: .receivable(patientId: patientId), amount: amount.amount),
            Posting(account: LedgerAccount(name: "practice:collections:\(method.rawValue)"), amount: -amount.amount),
        ])
    }

    /// A payer's remittance for one claim: what it paid and what the practice writes off by contract.
    public static func insurancePayment(claimId: String, traceNumber: String, patientId: String, paid: Int64,
                                        contractual: Int64, currency: String) -> Transfer {
        var postings = [Posting(account: .receivable(patientId: patientId), amount: -(paid + contractual))]
        if paid != 0 { postings.append(Posting(account: LedgerAccount(name: "practice:collections:insurance"), amount: paid)) }
        if contractual != 0 {
            postings.append(Posting(account: LedgerAccount(name: "practice:adjustments:contractual"), amount: contractual))
        }
        return Transfer(id: "insurance:\(claimId):\(traceNumber)", kind: .insurancePayment, currency: currency, postings: postings)
    }
}
