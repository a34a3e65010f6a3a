import Crypto
import Foundation

/// Ids the suite makes: a prefix that says what it is (`pay_`, `re_`, `plan_`, Stripe-style) and 24
/// letters. Letters, not hex: a hex id can hold 13–19 digits in a row that pass the Luhn check, and the
/// card-number guard of every service rightly refuses anything that looks like a card number.
public enum NewId {
    /// 16 consonants: one per nibble, so 24 of them carry 96 bits.
    private static let alphabet = Array("bcdfghjklmnpqrst")

    /// A random id.
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + letters((0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// An id derived from `seed` (e.g. the clinic and an Idempotency-Key): the same seed, the same id.
    public static func derived(_ prefix: String, from seed: String) -> String {
        prefix + letters(Array(SHA256.hash(data: Array(seed.utf8)).prefix(12)))
    }

    private static func letters(_ bytes: [UInt8]) -> String {
        String(bytes.flatMap { [alphabet[Int($0 >> 4)], alphabet[Int($0 & 0x0f)]] })
    }
}
