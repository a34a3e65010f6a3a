import Contracts

/// A ledger account. Patients' receivables are debit-normal: a positive balance is what the patient owes.
public struct LedgerAccount: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public static func receivable(patientId: String) -> LedgerAccount { LedgerAccount(name: "patient:\(patientId):receivable") }
    /// The practice's production: the fees of work performed.
    public static let production = LedgerAccount(name: "practice:production")

    public var description: String { name }
}

/// One side of a transfer: a signed amount (debit positive, credit negative) on one account.
public struct Posting: Equatable, Sendable {
    public let account: LedgerAccount
    public let amount: Int64
}

/// A movement of money between accounts. Its postings always sum to zero (double entry), and it is
/// never edited: a correction is another transfer. The id makes it idempotent.
public struct Transfer: Equatable, Sendable {
    public let id: String
    public let kind: Kind
    public let currency: String
    public let postings: [Posting]

    public enum Kind: String, Sendable {
        case charge, chargeReversal = "charge-reversal", adjustment, payment, refund
        case insurancePayment = "insurance-payment"
    }

    /// A posted charge: the patient owes the fee, the practice has produced it.
    public static func charge(chargeId: String, patientId: String, fee: Money) -> Transfer {
        Transfer(id: "charge:\(chargeId)", kind: .charge, currency: fee.currency, postings: [
            Posting(account: .receivable(patientId: patientId), amount: fee.amount),
            Posting(account: .production, amount: -fee.amount),
        ])
    }

    /// The exact opposite of a charge's transfer.
    public static func reversal(chargeId: String, patientId: String, fee: Money) -> Transfer {
        Transfer(id: "charge-reversal:\(chargeId)", kind: .chargeReversal, currency: fee.currency, postings: [
            Posting(account: .receivable(patientId: patientId), amount: -fee.amount),
            Posting(account: .production, amount: fee.amount),
        ])
    }

    public var isBalanced: Bool { postings.reduce(0) { $0 + $1.amount } == 0 }

    /// What this transfer does to one account's balance.
    public func change(to account: LedgerAccount) -> Int64 {
        postings.filter { $0.account == account }.reduce(0) { $0 + $1.amount }
    }
}

/// A charge as payments holds it.
public struct RecordedCharge: Equatable, Sendable {
    public var chargeId: String
    public var patientId: String
    public var fee: Money
    public var isReversed: Bool

    public init(chargeId: String, patientId: String, fee: Money, isReversed: Bool) {
        self.chargeId = chargeId
        self.patientId = patientId
        self.fee = fee
        self.isReversed = isReversed
    }
}

/// What to do with a posting or a void, given what is already recorded. Pure.
public enum ChargeDecision: Equatable, Sendable {
    case record
    case reverse(RecordedCharge)
    /// Already done: a re-sent event, or the same charge under another event id. No effect.
    case alreadyDone
    case reject(EventProblem)

    public enum EventProblem: Equatable, Sendable {
        case invalid(String)
        case notYet(String)
    }

    public static func forPosting(_ posted: ChargePosted, existing: RecordedCharge?) -> ChargeDecision {
        guard let existing else { return .record }
        if existing.patientId == posted.patientId, existing.fee == posted.fee { return .alreadyDone }
        return .reject(.invalid(
            "charge \(posted.chargeId) was already posted for patient \(existing.patientId) with fee \(existing.fee); "
                + "a correction is a void and a new charge id"))
    }

    /// The decision for each of several postings handled together, in their order, as if they had come
    /// one by one: `recorded` holds what was there before them, and a charge recorded by an earlier
    /// posting of the list counts as recorded for the later ones (so a repeat of it is `alreadyDone`,
    /// and another charge under its id is rejected). `Key` tells charges apart (a clinic and a charge id).
    public static func forPostings<Key: Hashable>(
        _ postings: [(key: Key, posted: ChargePosted)], recorded: [Key: RecordedCharge]
    ) -> [ChargeDecision] {
        var recorded = recorded
        return postings.map { key, posted in
            let decision = forPosting(posted, existing: recorded[key])
            if decision == .record {
                recorded[key] = RecordedCharge(
                    chargeId: posted.chargeId, patientId: posted.patientId, fee: posted.fee, isReversed: false)
            }
            return decision
        }
    }

    public static func forVoid(_ voided: ChargeVoided, existing: RecordedCharge?) -> ChargeDecision {
        guard let existing else {
            return .reject(.notYet("charge \(voided.chargeId) has not been posted; the void waits for it"))
        }
        guard existing.patientId == voided.patientId else {
            return .reject(.invalid("charge \(voided.chargeId) belongs to patient \(existing.patientId), not \(voided.patientId)"))
        }
        return existing.isReversed ? .alreadyDone : .reverse(existing)
    }
}
