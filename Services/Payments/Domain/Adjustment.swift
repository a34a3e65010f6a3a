import Contracts

/// A change to what a patient owes that is not a charge or a payment: a write-off, a courtesy
/// discount, or a correction. Each has a reason; large ones need the practice owner.
public struct AdjustmentRequest: Codable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable, SchemaEnum {
        case writeOff = "write_off"
        case courtesyDiscount = "courtesy_discount"
        case correction
    }

    public enum Direction: String, Codable, Sendable, CaseIterable, SchemaEnum {
        case decrease, increase
    }

    public var patientId: String
    public var amount: Money
    public var kind: Kind
    public var reason: String
    public var note: String?
    /// Only a correction may raise the balance; the default lowers it.
    public var direction: Direction?

    /// The signed change to the balance: negative lowers what the patient owes.
    public var balanceChange: Int64 { direction == .increase ? amount.amount : -amount.amount }
}

/// The rules of adjustments. Pure.
public enum AdjustmentRules {
    /// What is wrong with the request, as (field, message); empty when it may go ahead.
    public static func problems(in request: AdjustmentRequest, balance: Int64?) -> [(param: String, message: String)] {
        var problems: [(String, String)] = []
        if request.patientId.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(("patientId", "patientId is empty")) }
        for problem in ChargeRules.moneyProblems(request.amount, field: "amount") { problems.append(("amount", problem)) }
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.isEmpty { problems.append(("reason", "reason is required: say why the balance changes")) }
        if request.reason.count > 500 { problems.append(("reason", "reason is longer than 500 characters")) }
        if (request.note?.count ?? 0) > 2_000 { problems.append(("note", "note is longer than 2,000 characters")) }
        if request.direction == .increase, request.kind != .correction {
            problems.append(("direction", "only a correction may increase the balance"))
        }
        // Only an amount within bounds is compared (negating an unchecked one could overflow).
        if let balance, problems.isEmpty, request.balanceChange < 0, -request.balanceChange > balance {
            problems.append(("amount", "amount \(request.amount.amount) exceeds the patient's balance of \(balance) minor units"))
        }
        return problems
    }

    /// Whether the amount is above the clinic's threshold, so only the practice owner may make it.
    public static func isLarge(_ amount: Money, threshold: Int64) -> Bool { amount.amount > threshold }
}

extension Transfer {
    /// The patient's receivable moves by `change`; the practice's adjustment account takes the other side.
    public static func adjustment(id: String, kind: AdjustmentRequest.Kind, patientId: String, change: Int64,
                                  currency: String) -> Transfer {
        Transfer(id: "adjustment:\(id)", kind: .adjustment, currency: currency, postings: [
            Posting(account: .receivable(patientId: patientId), amount: change),
            Posting(account: LedgerAccount(name: "practice:adjustments:\(kind.rawValue)"), amount: -change),
        ])
    }
}
