public import Crypto
import Foundation

/// Lets a service find an encrypted value by exact match without decrypting every row: the table keeps a
/// keyed hash of the value beside the sealed value, and a search hashes the query the same way.
///
/// The hash is keyed (HMAC-SHA256) so that someone holding the database but not the key cannot test guesses
/// such as common surnames. Use a different key from the field cipher's, and preferably one per column.
public struct BlindIndex: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Lowercase hex of HMAC-SHA256 over the normalised value.
    public func index(_ value: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(Self.normalise(value).utf8), using: key)
        return code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// How values are compared: "Ana  Lopez " and "ana lopez" are the same name. Unicode is composed first
    /// (NFC) so "é" typed as one or two code points hashes the same. Accents are kept: "José" and "Jose"
    /// may be different people.
    public static func normalise(_ value: String) -> String {
        let composed = value.precomposedStringWithCanonicalMapping.lowercased()
        let words = composed.split(whereSeparator: { $0.isWhitespace })
        return words.joined(separator: " ")
    }
}
