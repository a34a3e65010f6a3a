import Crypto
import Foundation

/// Encrypts single fields (names, notes, member ids) with AES-GCM before they are stored.
///
/// A sealed value reads `v1.<keyId>.<base64url(nonce + ciphertext + tag)>`. The prefix `v1.<keyId>` is
/// authenticated along with the data, so changing the key id or the version makes the value fail to open
/// instead of being read with the wrong key.
public struct FieldCipher: Sendable {
    static let version = "v1"

    public let current: FieldKey
    private let keysByID: [String: SymmetricKey]

    /// `older` holds retired keys that may still be needed to open values sealed before a rotation.
    /// If an id appears twice, the current key wins.
    public init(current: FieldKey, older: [FieldKey] = []) {
        self.current = current
        var keys: [String: SymmetricKey] = [:]
        for key in older { keys[key.id] = key.key }
        keys[current.id] = current.key
        self.keysByID = keys
    }

    /// The ids this cipher can open, current first; useful in health output, never the keys themselves.
    public var keyIDs: [String] {
        [current.id] + keysByID.keys.filter { $0 != current.id }.sorted()
    }

    public func seal(_ plaintext: String) throws -> String {
        try seal(Array(plaintext.utf8))
    }

    public func seal(_ bytes: [UInt8]) throws -> String {
        guard FieldKey.isValidID(current.id) else { throw PrivacyError.invalidKeyID(current.id) }
        let prefix = "\(Self.version).\(current.id)"
        let box = try AES.GCM.seal(bytes, using: current.key, nonce: AES.GCM.Nonce(), authenticating: Array(prefix.utf8))
        // With the default 12-byte nonce `combined` is always present.
        guard let combined = box.combined else { throw PrivacyError.malformedSealedValue(reason: "no combined form") }
        return "\(prefix).\(Base64URL.encode(combined))"
    }

    public func open(_ sealed: String) throws -> String {
        let bytes = try openBytes(sealed)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PrivacyError.malformedSealedValue(reason: "the decrypted value is not UTF-8 text; use openBytes")
        }
        return text
    }

    public func openBytes(_ sealed: String) throws -> [UInt8] {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw PrivacyError.malformedSealedValue(reason: "expected three dot-separated parts (version, key id, data)")
        }
        guard parts[0] == Self.version else {
            throw PrivacyError.malformedSealedValue(reason: "unsupported version '\(parts[0].prefix(8))'")
        }
        let keyID = parts[1]
        guard FieldKey.isValidID(keyID) else { throw PrivacyError.invalidKeyID(String(keyID.prefix(32))) }
        guard let key = keysByID[keyID] else { throw PrivacyError.unknownKeyID(keyID) }
        guard let combined = Base64URL.decode(parts[2]) else {
            throw PrivacyError.malformedSealedValue(reason: "the data part is not base64url")
        }
        // Nonce (12) + tag (16): anything shorter cannot be a sealed value.
        guard combined.count >= 28 else { throw PrivacyError.tamperedValue(keyID: keyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let prefix = "\(parts[0]).\(keyID)"
            return try [UInt8](AES.GCM.open(box, using: key, authenticating: Array(prefix.utf8)))
        } catch {
            throw PrivacyError.tamperedValue(keyID: keyID)
        }
    }
}
