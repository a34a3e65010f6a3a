import Foundation

/// New ids: a prefix that says what it is (`pay_`, `re_`, `plan_`, Stripe-style) and 24 random hex digits.
public enum NewId {
    public static func make(_ prefix: String) -> String {
        prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
    }
}
