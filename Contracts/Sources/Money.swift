/// An amount of money in the currency's smallest unit (cents for USD), never a floating-point number.
public struct Money: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Minor units: 12500 USD is $125.00. Negative only where a contract says so (a balance can be a credit).
    public var amount: Int64
    /// ISO 4217 code, upper case.
    public var currency: String

    public init(amount: Int64, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    public var description: String { "\(amount) \(currency)" }
}

/// The currencies the suite accepts, with the number of digits in their minor unit (ISO 4217).
/// Kept short on purpose: adding one is a reviewed change, because statements and gateways must support it.
public enum Currency {
    public static let minorUnitDigits: [String: Int] = [
        "USD": 2, "CAD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "NZD": 2, "CHF": 2, "MXN": 2, "JPY": 0,
    ]

    public static func isKnown(_ code: String) -> Bool { minorUnitDigits[code] != nil }

    /// The largest single amount a contract accepts: 10^12 minor units (ten billion dollars),
    /// far above any clinic charge and far below Int64's limit, so sums of many cannot overflow.
    public static let maximumAmount: Int64 = 1_000_000_000_000
}

extension Money {
    /// For people: the amount in major units with its minor digits and thousands separators, then the
    /// currency ("1,234.50 USD", "-12.00 USD", "5,000 JPY"). Integer arithmetic only.
    public var display: String {
        let digits = Currency.minorUnitDigits[currency] ?? 2
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let magnitude = amount.magnitude
        let major = String(magnitude / UInt64(scale))
        var grouped = ""
        for (index, character) in major.enumerated() {
            if index > 0 && (major.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        var text = (amount < 0 ? "-" : "") + grouped
        if digits > 0 {
            let minor = String(magnitude % UInt64(scale))
            text += "." + String(repeating: "0", count: digits - minor.count) + minor
        }
        return text + " " + currency
    }
}

extension Money {
    /// Dollars in minor units, for the contract's examples.
    static func exampleUSD(_ cents: Int64) -> Money { Money(amount: cents, currency: "USD") }
}
