public import Contracts
public import Foundation
public import Logging
public import PostgresNIO
public import Storage
public import Privacy

/// Why an event was not applied. Anything else a handler throws is treated as `notYet` when the
/// database refused a statement, and as an outage (the batch is retried whole) when it was unreachable.
public enum EventRejection: Error, Equatable, CustomStringConvertible {
    /// It can never succeed as sent (invalid content): dead-letter it at once.
    case invalid(String)
    /// It may succeed later (it refers to something that has not arrived yet): retry with growing
    /// delays, then dead-letter it; an operator can replay it once the cause is fixed.
    case notYet(String)

    public var description: String {
        switch self {
        case .invalid(let why), .notYet(let why): why
        }
    }
}

/// What a handler works with: the incoming event's envelope, the transaction it runs in, and the
/// events it publishes (written to the outbox in the same transaction).
public struct EventContext: Sendable {
    public let envelope: EventEnvelope
    public let connection: PostgresConnection
    public let logger: Logger
    /// The service clock's time when the batch began; read it instead of `Date()`.
    public let now: Date
    /// Seals patient data before it is stored.
    public let cipher: FieldCipher
    let service: String
    var outgoing: [OutboxMessage] = []
    var audits: [AuditEntry] = []

    /// Records an audit line for what this event changed (every money movement, every automated decision).
    public mutating func audit(_ action: String, objectType: String, objectId: String, summary: String) {
        audits.append(.automated(service: service, envelope: envelope, action: action, objectType: objectType,
                                 objectId: objectId, summary: summary))
    }

    /// Records `event` for publication, caused by the event being handled. `aggregateId` keeps the order
    /// of one aggregate's events (e.g. one patient's balance changes).
    public mutating func publish<E: ClinicEvent>(_ event: E, aggregateId: String) throws {
        outgoing.append(try OutboxMessage(event, causedBy: envelope, service: service, aggregateId: aggregateId))
    }
}

/// What a batch handler works with: several events of one type, handled together in one transaction.
public struct BatchContext: Sendable {
    public let connection: PostgresConnection
    public let logger: Logger
    public let now: Date
    public let cipher: FieldCipher
    let service: String
    var outgoing: [OutboxMessage] = []
    var audits: [AuditEntry] = []

    public mutating func audit(_ action: String, causedBy envelope: EventEnvelope, objectType: String, objectId: String,
                               summary: String) {
        audits.append(.automated(service: service, envelope: envelope, action: action, objectType: objectType,
                                 objectId: objectId, summary: summary))
    }

    public mutating func publish<E: ClinicEvent>(_ event: E, causedBy envelope: EventEnvelope, aggregateId: String) throws {
        outgoing.append(try OutboxMessage(event, causedBy: envelope, service: service, aggregateId: aggregateId))
    }
}

extension EventContext {
    /// Runs a batch handler on this one event; what it publishes and audits becomes this event's.
    mutating func asBatch(_ body: (inout BatchContext) async throws -> Void) async throws {
        var batch = BatchContext(connection: connection, logger: logger, now: now, cipher: cipher, service: service)
        try await body(&batch)
        outgoing += batch.outgoing
        audits += batch.audits
    }
}

extension AuditEntry {
    static func automated(service: String, envelope: EventEnvelope, action: String, objectType: String, objectId: String,
                          summary: String) -> AuditEntry {
        AuditEntry(clinicId: envelope.clinicId, subject: "system:\(service)", role: "system", action: action,
                   objectType: objectType, objectId: objectId, summary: summary, eventId: envelope.id)
    }
}

extension OutboxMessage {
    init<E: ClinicEvent>(_ event: E, causedBy cause: EventEnvelope, service: String, aggregateId: String) throws {
        let envelope = cause.caused(E.type, source: "clinicledger/\(service)")
        self.init(
            messageId: envelope.id, routingKey: E.type.routingKey, aggregateId: aggregateId,
            headers: Dictionary(uniqueKeysWithValues: envelope.amqpHeaders),
            body: String(decoding: try ContractCoding.encode(event), as: UTF8.self))
    }
}

/// The events a service handles, one typed handler per event type. The wire never picks a Swift type:
/// the routing key and `cloudEvents_type` must name one registered here.
public struct EventHandlers: Sendable {
    typealias Erased = @Sendable ([UInt8], inout EventContext) async throws -> Void
    typealias ErasedBatch = @Sendable ([(body: [UInt8], envelope: EventEnvelope)], inout BatchContext) async throws -> Void
    private(set) var byType: [String: Erased] = [:]
    private(set) var batchByType: [String: ErasedBatch] = [:]

    public init() {}

    public mutating func on<E: ClinicEvent>(
        _ type: E.Type, _ handle: @escaping @Sendable (E, inout EventContext) async throws -> Void
    ) {
        byType[E.type.routingKey] = { body, context in try await handle(try Self.decode(E.self, from: body), &context) }
    }

    /// A faster way to handle many events of a type at once (set-based SQL). When it throws, the
    /// pipeline runs the batch again event by event through the handler given to `on`, which decides
    /// each event's fate; so the batch handler needs no error handling of its own.
    mutating func onBatch<E: ClinicEvent>(
        _ type: E.Type, _ handle: @escaping @Sendable ([(event: E, envelope: EventEnvelope)], inout BatchContext) async throws -> Void
    ) {
        batchByType[E.type.routingKey] = { items, context in
            let events = try items.map { (event: try Self.decode(E.self, from: $0.body), envelope: $0.envelope) }
            try await handle(events, &context)
        }
    }

    /// One handler for batches and single events alike: a single event (the pipeline's one-by-one run
    /// after a rejection) is a batch of one, so there is one code path and its rejection names its reason.
    public mutating func onBatches<E: ClinicEvent>(
        _ type: E.Type, _ handle: @escaping @Sendable ([(event: E, envelope: EventEnvelope)], inout BatchContext) async throws -> Void
    ) {
        onBatch(type, handle)
        byType[E.type.routingKey] = { body, context in
            let item = (event: try Self.decode(E.self, from: body), envelope: context.envelope)
            try await context.asBatch { batch in try await handle([item], &batch) }
        }
    }

    /// For handlers that work on the bodies as they arrived (the journal): one function for single
    /// events and batches alike. It must reject an invalid body itself.
    mutating func onBodies<E: ClinicEvent>(
        _ type: E.Type,
        _ handle: @escaping @Sendable ([(body: [UInt8], envelope: EventEnvelope)], inout BatchContext) async throws -> Void
    ) {
        byType[E.type.routingKey] = { body, context in
            let item = (body: body, envelope: context.envelope)
            try await context.asBatch { batch in try await handle([item], &batch) }
        }
        batchByType[E.type.routingKey] = { items, context in try await handle(items, &context) }
    }

    /// The event in `body`, or a rejection that names what is wrong with it.
    static func decode<E: ClinicEvent>(_ type: E.Type, from body: [UInt8]) throws(EventRejection) -> E {
        do { return try ContractCoding.decode(E.self, from: body) } catch {
            throw .invalid("body is not a valid \(E.type): \(DecodingProblem.describe(error, body: body))")
        }
    }

    public var routingKeys: [String] { byType.keys.sorted() }

    /// What the service's queue is bound to: every version of each fact it handles, so that a version
    /// it does not know yet reaches its dead-letter queue (and an operator) instead of vanishing.
    public var bindingPatterns: [String] {
        Set(byType.keys.compactMap { EventType(routingKey: $0).map { "\($0.name).*" } }).sorted()
    }
}

/// Turns a decoding error into a sentence that names the field.
enum DecodingProblem {
    static func describe(_ error: any Error, body: [UInt8] = []) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing required field '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' should be \(jsonKind(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null; it should be \(jsonKind(type))"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let why = underlying ?? context.debugDescription
            // Foundation's decoder says "not valid JSON" for a number it cannot hold, too.
            if at.isEmpty, let number = firstNumberNotWhole(in: body) {
                return "the number \(number) cannot be read (amounts are whole minor units, no decimals, within 64 bits)"
            }
            return at.isEmpty ? "not valid JSON (\(why))" : "field '\(at)': \(why)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The first number outside strings that is not a whole number within 64 bits (a fraction, an
    /// exponent, or too many digits), if any.
    static func firstNumberNotWhole(in body: [UInt8]) -> String? {
        let numberBytes = Set("0123456789+-.eE".utf8)
        var index = 0
        while index < body.count {
            switch body[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < body.count, body[index] != UInt8(ascii: "\"") {
                    index += body[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                while index < body.count, numberBytes.contains(body[index]) { index += 1 }
                let token = String(decoding: body[start..<index], as: UTF8.self)
                if Int64(token) == nil { return token }
            default:
                index += 1
            }
        }
        return nil
    }

    private static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}
