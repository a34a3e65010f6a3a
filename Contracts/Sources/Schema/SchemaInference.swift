/// Reads a JSON Schema off a complete example value by encoding it with a recording encoder.
/// A key written with `encodeIfPresent` (an optional property) is optional; every other key is required.
/// Types that say more than their shape (formats, enums) describe themselves through `SchemaDescribing`.
public enum SchemaInference {
    public static func schema<T: Encodable>(of example: T) throws -> JSONValue {
        if let described = T.self as? any SchemaDescribing.Type { return described.jsonSchema }
        if let dictionary = example as? any StringKeyedDictionary { return try dictionary.schema() }
        switch example {
        case is String: return ["type": "string"]
        case is Bool: return ["type": "boolean"]
        case is Int, is Int64, is Int32, is UInt32: return ["type": "integer"]
        case is Double, is Float: return ["type": "number"]
        default:
            let node = SchemaNode(path: String(describing: T.self))
            try example.encode(to: RecordingEncoder(node: node))
            return try node.schema()
        }
    }
}

/// `[String: V]` is an open map, not an object with fixed keys.
protocol StringKeyedDictionary { func schema() throws -> JSONValue }

extension Dictionary: StringKeyedDictionary where Key == String, Value: Encodable {
    func schema() throws -> JSONValue {
        guard let first = values.first else { throw SchemaInferenceError.emptyExample(path: "dictionary") }
        return ["type": "object", "additionalProperties": try SchemaInference.schema(of: first)]
    }
}

public enum SchemaInferenceError: Error, CustomStringConvertible {
    case emptyExample(path: String)
    case missingOptional(path: String)
    case unsupported(path: String, what: String)

    public var description: String {
        switch self {
        case .emptyExample(let path): "the example's \(path) is empty: give it one element so its items can be described"
        case .missingOptional(let path): "the example leaves \(path) out: fill every optional field in `example`"
        case .unsupported(let path, let what): "\(path): \(what) is not supported by schema inference"
        }
    }
}

/// What one encoded value turned out to be.
final class SchemaNode {
    let path: String
    var properties: [String: JSONValue] = [:]
    var required: [String] = []
    var items: JSONValue?
    var isArray = false
    var leaf: JSONValue?
    var failure: (any Error)?

    init(path: String) { self.path = path }

    func schema() throws -> JSONValue {
        if let failure { throw failure }
        if let leaf { return leaf }
        if isArray {
            guard let items else { throw SchemaInferenceError.emptyExample(path: path) }
            return ["type": "array", "items": items]
        }
        return [
            "type": "object", "properties": .object(properties),
            "required": .array(required.sorted().map { .string($0) }),
        ]
    }

    func record(_ key: String, _ value: some Encodable, required isRequired: Bool) {
        do {
            properties[key] = try SchemaInference.schema(of: value)
            if isRequired { required.append(key) }
        } catch { failure = failure ?? error }
    }
}

struct RecordingEncoder: Encoder {
    let node: SchemaNode
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedRecorder<Key>(node: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.isArray = true
        return UnkeyedRecorder(node: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleRecorder(node: node) }
}

struct KeyedRecorder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: SchemaNode
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        throw SchemaInferenceError.missingOptional(path: "\(node.path).\(key.stringValue)")
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        node.record(key.stringValue, value, required: true)
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let value else { throw SchemaInferenceError.missingOptional(path: "\(node.path).\(key.stringValue)") }
        node.record(key.stringValue, value, required: false)
    }
    // The concrete overloads below are separate protocol requirements; without them Swift's defaults
    // would encode optionals as if they were required.
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try optional(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try optional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try optional(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try optional(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try optional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try optional(value, key) }

    private func optional<T: Encodable>(_ value: T?, _ key: Key) throws {
        guard let value else { throw SchemaInferenceError.missingOptional(path: "\(node.path).\(key.stringValue)") }
        node.record(key.stringValue, value, required: false)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        node.failure = SchemaInferenceError.unsupported(path: node.path, what: "a nested container")
        return KeyedEncodingContainer(KeyedRecorder<NestedKey>(node: SchemaNode(path: node.path)))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        node.failure = SchemaInferenceError.unsupported(path: node.path, what: "a nested container")
        return UnkeyedRecorder(node: SchemaNode(path: node.path))
    }
    mutating func superEncoder() -> any Encoder {
        node.failure = SchemaInferenceError.unsupported(path: node.path, what: "a super encoder")
        return RecordingEncoder(node: SchemaNode(path: node.path))
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder() }
}

struct UnkeyedRecorder: UnkeyedEncodingContainer {
    let node: SchemaNode
    var codingPath: [any CodingKey] { [] }
    var count = 0

    mutating func encodeNil() throws {
        throw SchemaInferenceError.unsupported(path: node.path, what: "null in an array")
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        count += 1
        if node.items == nil { node.items = try SchemaInference.schema(of: value) }
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        node.failure = SchemaInferenceError.unsupported(path: node.path, what: "a nested container")
        return KeyedEncodingContainer(KeyedRecorder<NestedKey>(node: SchemaNode(path: node.path)))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        node.failure = SchemaInferenceError.unsupported(path: node.path, what: "a nested container")
        return UnkeyedRecorder(node: SchemaNode(path: node.path))
    }
    mutating func superEncoder() -> any Encoder {
        node.failure = SchemaInferenceError.unsupported(path: node.path, what: "a super encoder")
        return RecordingEncoder(node: SchemaNode(path: node.path))
    }
}

struct SingleRecorder: SingleValueEncodingContainer {
    let node: SchemaNode
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws {
        throw SchemaInferenceError.unsupported(path: node.path, what: "a null value")
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        node.leaf = try SchemaInference.schema(of: value)
    }
}
