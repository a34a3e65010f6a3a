/// Why a protected value or a key could not be used. The messages name the problem and the key id, never
/// a key's bytes or a protected value's plaintext, so they are safe to log.
public enum PrivacyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is not in the `v1.<keyId>.<data>` form that `FieldCipher.seal` writes.
    case malformedSealedValue(reason: String)
    /// The value names a key this service was not given (it may have been retired too early).
    case unknownKeyID(String)
    /// The value does not authenticate with its key: it was changed, cut, or relabelled with another key id.
    case tamperedValue(keyID: String)
    /// A key id that would make sealed values ambiguous to read back.
    case invalidKeyID(String)
    /// Key configuration text that cannot be used; the reason says which entry and why.
    case invalidKeyConfiguration(String)

    public var description: String {
        switch self {
        case .malformedSealedValue(let reason):
            "the encrypted value is malformed: \(reason)"
        case .unknownKeyID(let id):
            "the encrypted value uses key '\(id)', which is not configured; "
                + "keep retired keys in the older-keys list until every value is re-encrypted"
        case .tamperedValue(let id):
            "the encrypted value (key '\(id)') failed authentication; it was altered or relabelled"
        case .invalidKeyID(let id):
            "key id '\(id)' is invalid; use 1 to 32 letters, digits, '-' or '_'"
        case .invalidKeyConfiguration(let reason):
            "the key configuration is invalid: \(reason)"
        }
    }
}
