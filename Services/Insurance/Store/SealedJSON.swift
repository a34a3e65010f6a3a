import Foundation
import Privacy

/// A body that names a person, stored as sealed JSON text.
struct SealedJSON: Sendable {
    let cipher: FieldCipher

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    func seal(_ value: some Encodable) throws -> String {
        try cipher.seal(String(decoding: try Self.encoder.encode(value), as: UTF8.self))
    }

    func open<T: Decodable>(_ type: T.Type, _ sealed: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(try cipher.open(sealed).utf8))
    }

    /// Plain JSON for bodies that name no one (providers, the practice, estimates).
    static func plain(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
