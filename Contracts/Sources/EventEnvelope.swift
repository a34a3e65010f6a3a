public import Foundation

/// What every message carries besides its JSON body: the CloudEvents 1.0 context attributes plus the
/// suite's extensions, mapped onto AMQP 0-9-1 message headers (CloudEvents AMQP binding, binary mode).
public struct EventEnvelope: Sendable, Equatable {
    public var id: String
    public var type: EventType
    public var source: String
    public var time: Timestamp
    public var clinicId: String
    /// The id shared by every event that one outside action set off.
    public var correlationId: String
    /// The id of the event that directly caused this one, if any.
    public var causationId: String?

    public static let specVersion = "1.0"
    public static let contentType = "application/json"
    /// The header prefix we write; `cloudEvents:` (older binding drafts) is accepted on input too.
    public static let headerPrefix = "cloudEvents_"

    public init(
        id: String = UUID().uuidString.lowercased(), type: EventType, source: String, time: Timestamp = .now(),
        clinicId: String, correlationId: String? = nil, causationId: String? = nil
    ) {
        self.id = id
        self.type = type
        self.source = source
        self.time = time
        self.clinicId = clinicId
        self.correlationId = correlationId ?? id
        self.causationId = causationId
    }

    /// The envelope of an event caused by this one: same clinic and correlation, causation = this id.
    public func caused(_ type: EventType, source: String, time: Timestamp = .now()) -> EventEnvelope {
        EventEnvelope(type: type, source: source, time: time, clinicId: clinicId, correlationId: correlationId,
                      causationId: id)
    }

    /// Header name and value pairs, in a stable order.
    public var amqpHeaders: [(String, String)] {
        var headers = [
            ("specversion", Self.specVersion), ("id", id), ("source", source), ("type", type.routingKey),
            ("time", time.description), ("clinicid", clinicId), ("correlationid", correlationId),
        ]
        if let causationId { headers.append(("causationid", causationId)) }
        return headers.map { (Self.headerPrefix + $0.0, $0.1) }
    }

    /// Reads the envelope from AMQP headers; says exactly which header is missing or wrong.
    public init(amqpHeaders: [String: String]) throws(EnvelopeError) {
        var attributes: [String: String] = [:]
        for (key, value) in amqpHeaders {
            for prefix in [Self.headerPrefix, "cloudEvents:"] where key.hasPrefix(prefix) {
                attributes[String(key.dropFirst(prefix.count)).lowercased()] = value
            }
        }
        func required(_ name: String) throws(EnvelopeError) -> String {
            guard let value = attributes[name], !value.isEmpty else { throw .missingHeader(Self.headerPrefix + name) }
            return value
        }
        let specVersion = try required("specversion")
        guard specVersion == Self.specVersion else {
            throw .invalidHeader(Self.headerPrefix + "specversion", "'\(specVersion)', expected '1.0'")
        }
        let typeName = try required("type")
        guard let type = EventType(routingKey: typeName) else {
            throw .invalidHeader(Self.headerPrefix + "type", "'\(typeName)' is not <producer>.<aggregate>.<fact>.v<N>")
        }
        let timeText = try required("time")
        guard let time = Timestamp(timeText) else {
            throw .invalidHeader(Self.headerPrefix + "time", "'\(timeText)' is not an RFC 3339 timestamp")
        }
        let id = try required("id")
        self.init(
            id: id, type: type, source: try required("source"), time: time, clinicId: try required("clinicid"),
            correlationId: attributes["correlationid"].flatMap { $0.isEmpty ? nil : $0 },
            causationId: attributes["causationid"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

public enum EnvelopeError: Error, Equatable, CustomStringConvertible {
    case missingHeader(String)
    case invalidHeader(String, String)

    public var description: String {
        switch self {
        case .missingHeader(let name): "missing header \(name)"
        case .invalidHeader(let name, let why): "invalid header \(name): \(why)"
        }
    }
}

/// The one JSON coding of event bodies, shared by producers and consumers.
public enum ContractCoding {
    // One of each, shared: making a coder per message showed up in the profile.
    private static let encoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let decoder = JSONDecoder()

    public static func encode<E: Encodable>(_ value: E) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    public static func decode<E: Decodable>(_ type: E.Type, from body: [UInt8]) throws -> E {
        try decoder.decode(type, from: Data(body))
    }
}
