public import Crypto

/// One encryption key and the short name stored beside every value it seals, so that keys can rotate:
/// new values use the current key while values sealed earlier still name the key that opens them.
public struct FieldKey: Sendable {
    public let id: String
    public let key: SymmetricKey

    public init(id: String, key: SymmetricKey) {
        self.id = id
        self.key = key
    }

    /// Key ids appear inside sealed text between dots, so they are limited to characters that cannot be
    /// confused with the separator or with base64url data.
    static func isValidID(_ id: String) -> Bool {
        guard (1...32).contains(id.count) else { return false }
        return id.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "-" || scalar == "_"
        }
    }
}
