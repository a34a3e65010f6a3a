import Contracts
import Foundation

/// What the clinic's posting must satisfy before it touches a ledger. Pure: unit-tested without I/O.
public enum ChargeRules {
    /// Every problem with a posted charge, in words a clinic integrator can act on; empty when valid.
    public static func problems(in charge: ChargePosted, today: CalendarDate) -> [String] {
        var problems: [String] = []
        for (field, value) in [("chargeId", charge.chargeId), ("patientId", charge.patientId), ("providerId", charge.providerId)] {
            if value.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("\(field) is empty") }
            if value.count > 64 { problems.append("\(field) is longer than 64 characters") }
        }
        problems += moneyProblems(charge.fee, field: "fee")
        let code = charge.procedure.code
        switch charge.procedure.codeSystem {
        case .cdt where !matches(code, letter: "D", digits: 4):
            problems.append("procedure.code '\(code)' is not a CDT code (D followed by four digits)")
        case .cpt where !isCPT(code):
            problems.append("procedure.code '\(code)' is not a CPT code (five characters, the first four digits)")
        case .hcpcs where !isHCPCS(code):
            problems.append("procedure.code '\(code)' is not a HCPCS Level II code (a letter A–V and four digits)")
        default: break
        }
        if let tomorrow = today.adding(days: 1), charge.serviceDate > tomorrow {
            problems.append("serviceDate \(charge.serviceDate) is in the future")
        }
        return problems
    }

    /// A fee must be positive, within bounds, and in a currency the suite supports.
    public static func moneyProblems(_ money: Money, field: String) -> [String] {
        var problems: [String] = []
        if money.amount <= 0 { problems.append("\(field).amount must be positive (minor units), got \(money.amount)") }
        if money.amount > Currency.maximumAmount {
            problems.append("\(field).amount \(money.amount) exceeds the maximum of \(Currency.maximumAmount) minor units")
        }
        if !Currency.isKnown(money.currency) { problems.append("\(field).currency '\(money.currency)' is not a supported ISO 4217 code") }
        return problems
    }

    /// Codes are compared and stored in upper case: a clinic sending `d1110` means `D1110`.
    public static func normalised(_ charge: ChargePosted) -> ChargePosted {
        var charge = charge
        charge.procedure.code = charge.procedure.code.trimmingCharacters(in: .whitespaces).uppercased()
        charge.procedure.surfaces = charge.procedure.surfaces?.map { $0.uppercased() }
        charge.diagnosisCodes = charge.diagnosisCodes?.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        return charge
    }

    private static func isHCPCS(_ code: String) -> Bool {
        code.count == 5 && code.first.map { $0.isASCII && $0.isUppercase && $0 >= "A" && $0 <= "V" } == true
            && code.dropFirst().allSatisfy(\.isASCIIDigit)
    }

    private static func matches(_ code: String, letter: Character, digits: Int) -> Bool {
        code.count == digits + 1 && code.first == letter && code.dropFirst().allSatisfy(\.isASCIIDigit)
    }

    private static func isCPT(_ code: String) -> Bool {
        code.count == 5 && code.prefix(4).allSatisfy(\.isASCIIDigit)
            && code.last.map { $0.isASCIIDigit || ($0.isASCII && $0.isUppercase) } == true
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension CalendarDate {
    func adding(days: Int) -> CalendarDate? {
        guard let start = Timestamp("\(self)T12:00:00Z") else { return nil }
        return CalendarDate(containing: start.date.addingTimeInterval(Double(days) * 86_400))
    }
}
