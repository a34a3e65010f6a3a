import Crypto
import Foundation

/// Turns key configuration text (from the environment or a secret file) into ciphers, with errors that
/// say which entry is wrong but never print key material.
public enum PrivacyKeys {
    /// Keys are AES-256 and HMAC-SHA256 keys: 32 random bytes each.
    public static let keyByteCount = 32

    /// `text` is `id1:base64key,id0:base64key`: the first entry is the current key, the rest are older
    /// keys kept so values sealed before a rotation can still be opened.
    public static func fieldCipher(from text: String) throws -> FieldCipher {
        let entries = text.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        guard !entries.isEmpty else {
            throw PrivacyError.invalidKeyConfiguration("no keys given; expected 'id:base64key[,olderId:base64key...]'")
        }
        var keys: [FieldKey] = []
        for (position, entry) in entries.enumerated() {
            guard let colon = entry.firstIndex(of: ":") else {
                throw PrivacyError.invalidKeyConfiguration("entry \(position + 1) has no ':' between key id and key")
            }
            let id = String(entry[..<colon]).trimmingCharacters(in: .whitespacesAndNewlines)
            let encoded = String(entry[entry.index(after: colon)...]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard FieldKey.isValidID(id) else {
                throw PrivacyError.invalidKeyConfiguration("entry \(position + 1): \(PrivacyError.invalidKeyID(id))")
            }
            guard !keys.contains(where: { $0.id == id }) else {
                throw PrivacyError.invalidKeyConfiguration("key id '\(id)' appears more than once")
            }
            keys.append(FieldKey(id: id, key: try symmetricKey(from: encoded, name: "key '\(id)'")))
        }
        return FieldCipher(current: keys[0], older: Array(keys.dropFirst()))
    }

    /// `base64` is one 32-byte key, used only for blind indexes.
    public static func blindIndex(from base64: String) throws -> BlindIndex {
        let encoded = base64.trimmingCharacters(in: .whitespacesAndNewlines)
        return BlindIndex(key: try symmetricKey(from: encoded, name: "the blind-index key"))
    }

    /// A fresh `id:base64key` entry for development and test environments. Production keys come from the
    /// secret store, not from here.
    public static func generateKeyText(id: String) -> String {
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { [UInt8]($0) }
        return "\(id):\(Data(bytes).base64EncodedString())"
    }

    static func symmetricKey(from encoded: String, name: String) throws -> SymmetricKey {
        guard !encoded.isEmpty else { throw PrivacyError.invalidKeyConfiguration("\(name) is empty") }
        guard let bytes = Base64URL.decode(encoded) else {
            throw PrivacyError.invalidKeyConfiguration("\(name) is not valid base64")
        }
        guard bytes.count == keyByteCount else {
            throw PrivacyError.invalidKeyConfiguration(
                "\(name) is \(bytes.count) bytes; keys must be exactly \(keyByteCount) bytes (256 bits)")
        }
        return SymmetricKey(data: bytes)
    }
}
