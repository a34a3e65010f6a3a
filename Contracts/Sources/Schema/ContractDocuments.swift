public import Foundation

/// The published contract, generated from the Swift event types: one JSON Schema per event and the
/// AsyncAPI 3 document. `scripts/dev contracts` writes them under Contracts/; a test fails when the
/// checked-in files differ from what the types generate.
public enum ContractDocuments {
    public static let exchange = "clinicledger.events"

    /// File name (relative to Contracts/) → contents.
    public static func files() throws -> [(path: String, contents: String)] {
        var files: [(String, String)] = []
        for event in EventCatalog.all {
            files.append(("schemas/\(event.type.routingKey).json", try render(json: try eventSchema(event))))
        }
        files.append(("asyncapi.yaml", YAMLWriter.document(try asyncAPI())))
        return files
    }

    /// The payload schema of one event, as read off its Swift type.
    public static func payloadSchema(_ event: any ClinicEvent.Type) throws -> JSONValue {
        try SchemaInference.schema(of: event.example)
    }

    public static func example(_ event: any ClinicEvent.Type) throws -> JSONValue {
        try ContractCoding.decode(JSONValue.self, from: ContractCoding.encode(event.example))
    }

    /// A standalone JSON Schema (draft 2020-12) document with the golden example in `examples`.
    public static func eventSchema(_ event: any ClinicEvent.Type) throws -> JSONValue {
        guard case .object(var document) = try payloadSchema(event) else { return .null }
        document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        document["$id"] = .string("urn:clinicledger:events:\(event.type.routingKey)")
        document["title"] = .string(event.title)
        document["description"] = .string(event.summary)
        document["examples"] = [try example(event)]
        return .object(document)
    }

    /// The AMQP headers every message carries (CloudEvents AMQP binding, binary mode).
    public static var headersSchema: JSONValue {
        let prefix = EventEnvelope.headerPrefix
        let string: JSONValue = ["type": "string"]
        return [
            "type": "object",
            "description": "CloudEvents 1.0 attributes as AMQP message headers. `\(prefix)` is written; the older `cloudEvents:` prefix is accepted on input.",
            "properties": [
                "\(prefix)specversion": ["type": "string", "enum": ["1.0"]],
                "\(prefix)id": ["type": "string", "description": "Unique per event; a redelivery keeps it. Also the AMQP message_id."],
                "\(prefix)source": ["type": "string", "description": "Who published it, e.g. 'pms/opendental-bridge' or 'clinicledger/payments'."],
                "\(prefix)type": ["type": "string", "description": "The routing key, e.g. clinic.charge.posted.v1."],
                "\(prefix)time": ["type": "string", "format": "date-time"],
                "\(prefix)clinicid": ["type": "string", "description": "The clinic (tenant) the event belongs to."],
                "\(prefix)correlationid": ["type": "string", "description": "Shared by every event one outside action set off; defaults to the id."],
                "\(prefix)causationid": string,
            ],
            "required": .array(["specversion", "id", "source", "type", "time", "clinicid"].map { .string(prefix + $0) }),
        ]
    }

    public static func asyncAPI() throws -> JSONValue {
        var channels: [String: JSONValue] = [:]
        var operations: [String: JSONValue] = [:]
        var messages: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = ["CloudEventsHeaders": headersSchema]
        for event in EventCatalog.all {
            let name = event.title
            let key = event.type.routingKey
            channels[key] = [
                "address": .string(key),
                "messages": .object([name: ["$ref": .string("#/components/messages/\(name)")]]),
                "bindings": ["amqp": [
                    "is": "routingKey",
                    "exchange": ["name": .string(exchange), "type": "topic", "durable": true, "autoDelete": false, "vhost": "/"],
                    "bindingVersion": "0.3.0",
                ]],
            ]
            // The document describes the suite: it receives what clinics publish and sends its own facts.
            let action: JSONValue = event.type.producer == "clinic" ? "receive" : "send"
            operations["\(action.stringValue!)\(name)"] = [
                "action": action, "channel": ["$ref": .string("#/channels/\(key)")], "summary": .string(event.summary),
            ]
            messages[name] = [
                "name": .string(name), "title": .string(key), "summary": .string(event.summary),
                "contentType": "application/json",
                "headers": ["$ref": "#/components/schemas/CloudEventsHeaders"],
                "payload": ["$ref": .string("#/components/schemas/\(name)")],
                "bindings": ["amqp": ["deliveryMode": 2, "messageType": .string(key), "bindingVersion": "0.3.0"]],
                "examples": [["name": "golden", "payload": try example(event)]],
            ]
            schemas[name] = try payloadSchema(event)
        }
        return [
            "asyncapi": "3.0.0",
            "info": [
                "title": "ClinicLedger events", "version": "1.0.0",
                "description": "Every event the suite consumes and publishes on one durable topic exchange. Money is integer minor units plus an ISO 4217 currency. A new field may be added to a version; a breaking change is a new version.",
            ],
            "defaultContentType": "application/json",
            "servers": ["local": ["host": "127.0.0.1:55672", "protocol": "amqp", "protocolVersion": "0.9.1"]],
            "channels": .object(channels),
            "operations": .object(operations),
            "components": ["messages": .object(messages), "schemas": .object(schemas)],
        ]
    }

    static func render(json: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(json), as: UTF8.self) + "\n"
    }
}

/// Writes a JSON value as block-style YAML with sorted keys and JSON-quoted strings (valid YAML 1.2).
enum YAMLWriter {
    static func document(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            for (key, member) in members.sorted(by: { order($0.key, $1.key) }) {
                out += "\(pad)\(quoteKey(key)):"
                writeNested(member, indent: indent, into: &out)
            }
        case .array(let elements) where !elements.isEmpty:
            for element in elements {
                out += "\(pad)-"
                writeNested(element, indent: indent, into: &out)
            }
        default:
            out += pad + scalar(value) + "\n"
        }
    }

    private static func writeNested(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .object(let m) where !m.isEmpty:
            out += "\n"
            write(value, indent: indent + 1, into: &out)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            write(value, indent: indent + 1, into: &out)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    /// `asyncapi` leads the document, as readers expect; everything else is alphabetical.
    private static func order(_ a: String, _ b: String) -> Bool {
        if a == "asyncapi" { return b != "asyncapi" }
        if b == "asyncapi" { return false }
        return a < b
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): String(d)
        case .string(let s): quote(s)
        case .array: "[]"
        case .object: "{}"
        }
    }

    private static func quoteKey(_ key: String) -> String {
        let plain = key.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) } && key.first?.isLetter == true
        return plain ? key : quote(key)
    }

    private static func quote(_ text: String) -> String {
        let data = try! JSONEncoder().encode(text)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
    }
}
