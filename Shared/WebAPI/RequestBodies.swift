public import Contracts
import Foundation
import Privacy

/// Reading JSON request bodies: the typed value, or a 400/422 that names the field.
public enum RequestBodies {
    /// The body as `T`. A card number anywhere in it is refused (422) before anything else reads it.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        if bytes.isEmpty { throw .invalid("the request needs a JSON body", code: "body_missing") }
        // Card numbers first: no later message may repeat one.
        if let field = CardNumberGuard.fieldWithCardNumber(inJSON: bytes) {
            throw CardNumberGuard.refusal(field: field)
        }
        if let key = DuplicateKeys.first(in: bytes) {
            throw .invalid("the body has the key '\(key)' twice in one object", param: key, code: "body_invalid")
        }
        do {
            return try JSONCoders.decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            let problem = describe(error)
            throw .invalid(problem.message, param: problem.param, code: "parameter_invalid")
        } catch {
            throw .invalid("the body is not valid JSON", code: "body_invalid")
        }
    }

    /// A decoding error in words, with the dotted path of the field it is about.
    public static func describe(_ error: DecodingError) -> (message: String, param: String?) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = (path(context.codingPath).isEmpty ? "" : path(context.codingPath) + ".") + key.stringValue
            return ("missing required field '\(field)'", field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return ("field '\(field)' has the wrong type (expected \(type))", field)
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            return ("field '\(field)' is null", field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return ("the body is not valid JSON (whole numbers only for amounts, in minor units)", nil) }
            return ("field '\(field)': \(context.debugDescription)", field)
        @unknown default:
            return ("the body could not be read", nil)
        }
    }
}

/// No card number enters the suite: any string in a request or event body that holds a Luhn-valid run
/// of 13–19 digits is refused, and the refusal never repeats the digits.
public enum CardNumberGuard {
    /// A quick look at the raw bytes: false when no run of 13 or more digits (single spaces or dashes
    /// between them allowed) exists and no `\u` escape could hide one, which is nearly every event; only
    /// then is the body parsed.
    public static func mayContainCardNumber(_ bytes: [UInt8]) -> Bool {
        var digits = 0
        var previousWasSeparator = false
        var previousWasBackslash = false
        for byte in bytes {
            if previousWasBackslash, byte == UInt8(ascii: "u") { return true }
            previousWasBackslash = byte == UInt8(ascii: "\\") && !previousWasBackslash
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits += 1
                if digits >= 13 { return true }
                previousWasSeparator = false
            } else if (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-")), digits > 0, !previousWasSeparator {
                previousWasSeparator = true
            } else {
                digits = 0
                previousWasSeparator = false
            }
        }
        return false
    }

    /// The dotted path of the first string field that holds a card number, if any.
    public static func fieldWithCardNumber(inJSON bytes: [UInt8]) -> String? {
        guard mayContainCardNumber(bytes),
              let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        else { return nil }
        return firstField(in: value, path: "")
    }

    private static func firstField(in value: JSONValue, path: String) -> String? {
        switch value {
        case .string(let text):
            // An X12 interchange handed in as a whole is a payer's document, full of long claim and trace
            // numbers of which about one in ten passes the Luhn check; it holds no card numbers by its
            // standard, and insurance stores it sealed and never logs it.
            if isX12Interchange(text) { return nil }
            return CardNumbers.containsCardNumber(text) ? (path.isEmpty ? "(body)" : path) : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = firstField(in: item, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if CardNumbers.containsCardNumber(key) { return path.isEmpty ? "(a key)" : path }
                if let found = firstField(in: member, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// ISA, its element separator, and the fixed 106-character header ending in its segment terminator.
    static func isX12Interchange(_ text: String) -> Bool {
        let head = Array(text.utf8.prefix(106))
        guard head.count == 106, head[0] == UInt8(ascii: "I"), head[1] == UInt8(ascii: "S"), head[2] == UInt8(ascii: "A") else {
            return false
        }
        let separator = head[3]
        return head.filter { $0 == separator }.count == 16
    }

    public static func reason(field: String) -> String {
        "\(field) contains what looks like a card number; card numbers are never accepted (use a payment gateway token)"
    }

    public static func refusal(field: String) -> APIError {
        .unprocessable(reason(field: field), param: field, code: "card_number_refused")
    }
}
