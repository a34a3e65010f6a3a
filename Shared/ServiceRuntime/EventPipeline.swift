import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import Storage
import Synchronization
import Privacy
import WebAPI

/// Turns a batch of deliveries into effects: checks each envelope, then handles the batch in one
/// transaction where every event has its own savepoint and its inbox row, so one bad event does not
/// undo the others and a redelivered one has no second effect. Events that fail are handed to the
/// retry or dead-letter queue (with confirms) before the batch is acknowledged.
struct EventPipeline: Sendable {
    let service: String
    let handlers: EventHandlers
    let client: PostgresClient
    let publisher: EventPublisher
    let settings: BrokerSettings
    let relay: OutboxRelay
    let clock: ServiceClock
    let cipher: FieldCipher
    let logger: Logger

    /// A batch that has not committed by then goes back to the queue, so that a database call that
    /// never returns (seen across a Postgres restart) cannot stall the consumer for good. If the stuck
    /// transaction commits after all, the inbox makes the redelivery a no-op. A batch commits in tens of
    /// milliseconds, so 10 s is no risk to a slow one and keeps recovery after a restart short.
    static let batchDeadline = Duration.seconds(10)

    /// The largest body accepted; anything bigger is not an event a clinic system sends.
    static let maximumBodyBytes = 1 << 20

    var queues: ServiceQueues { ServiceQueues(service: service) }

    enum Failure: Error {
        case permanent(String)
        case retryable(String)
    }

    func handle(_ batch: [Delivery]) async -> [Disposition] {
        var failures: [(Delivery, Failure)] = []
        var accepted: [Accepted] = []
        for delivery in batch {
            switch check(delivery) {
            case .success(let (envelope, handler)): accepted.append((delivery, envelope, handler))
            case .failure(let failure): failures.append((delivery, failure))
            }
        }
        do {
            let ready = accepted
            let rejected = try await withDeadline(Self.batchDeadline) { try await applyInOneTransaction(ready) }
            failures += rejected
        } catch {
            logger.error("batch not applied; it goes back to the queue", metadata: [
                "error": "\(String(reflecting: error))", "batch_size": "\(batch.count)",
            ])
            return batch.map { _ in .requeue }
        }
        relay.nudge()
        guard !failures.isEmpty else { return batch.map { _ in .ack } }
        do {
            try await publisher.publish(failures.map { forward($0.0, $0.1) })
        } catch {
            logger.error("could not hand failed events to the retry or dead-letter queue", metadata: ["error": "\(error)"])
            let failedTags = Set(failures.map(\.0.deliveryTag))
            return batch.map { failedTags.contains($0.deliveryTag) ? .requeue : .ack }
        }
        return batch.map { _ in .ack }
    }

    /// The envelope and the handler, or why the message can never be handled.
    private func check(_ delivery: Delivery) -> Result<(EventEnvelope, EventHandlers.Erased), Failure> {
        if delivery.body.count > Self.maximumBodyBytes {
            return .failure(.permanent("body of \(delivery.body.count) bytes exceeds the \(Self.maximumBodyBytes)-byte limit"))
        }
        if let contentType = delivery.contentType, !contentType.isEmpty,
           !contentType.lowercased().hasPrefix(EventEnvelope.contentType) {
            return .failure(.permanent("content-type is '\(contentType)'; events must be \(EventEnvelope.contentType)"))
        }
        // Card numbers first: no later reason may repeat one.
        if let field = CardNumberGuard.fieldWithCardNumber(inJSON: delivery.body) {
            return .failure(.permanent(CardNumberGuard.reason(field: field)))
        }
        if let key = DuplicateKeys.first(in: delivery.body) {
            return .failure(.permanent("the body has the key '\(key)' twice in one object"))
        }
        let envelope: EventEnvelope
        do { envelope = try EventEnvelope(amqpHeaders: delivery.headers) } catch {
            return .failure(.permanent("invalid CloudEvents envelope: \(error)"))
        }
        let firstDelivery = delivery.headers[SuiteHeader.originalRoutingKey] == nil && delivery.exchange == settings.exchange
        if firstDelivery, delivery.routingKey != envelope.type.routingKey {
            return .failure(.permanent(
                "routing key '\(delivery.routingKey)' does not match cloudEvents_type '\(envelope.type.routingKey)'"))
        }
        guard let handler = handlers.byType[envelope.type.routingKey] else {
            return .failure(.permanent("\(service) does not handle event type \(envelope.type.routingKey)"))
        }
        return .success((envelope, handler))
    }

    typealias Accepted = (delivery: Delivery, envelope: EventEnvelope, handler: EventHandlers.Erased)

    /// Applies the accepted events; returns those the handlers rejected. Throws when the database was
    /// unusable, in which case nothing of the batch was committed.
    ///
    /// The usual batch has no rejections, so it runs first without savepoints (one inbox statement for
    /// the batch, then the handlers). Only when a handler rejects an event is the batch rolled back and
    /// run again with a savepoint per event, so that the others still commit.
    private func applyInOneTransaction(_ accepted: [Accepted]) async throws -> [(Delivery, Failure)] {
        guard !accepted.isEmpty else { return [] }
        do {
            return try await client.inTransaction(logger: logger) { try await applyTogether(accepted, on: $0) }
        } catch is RejectedInBatch {
            return try await client.inTransaction(logger: logger) { try await applyOneByOne(accepted, on: $0) }
        }
    }

    private struct RejectedInBatch: Error {}

    private func applyTogether(_ accepted: [Accepted], on connection: PostgresConnection) async throws -> [(Delivery, Failure)] {
        let firstTime = try await Inbox.recordFirstDeliveries(
            accepted.map { ($0.envelope.id, $0.envelope.type.routingKey) }, on: connection, logger: logger)
        var fresh: [Accepted] = []
        var applied = Set<String>()
        for item in accepted {
            guard firstTime.contains(item.envelope.id), applied.insert(item.envelope.id).inserted else {
                SuiteMetrics.consumed(item.envelope.type.routingKey, outcome: "duplicate").increment()
                continue
            }
            fresh.append(item)
        }
        var outgoing = Effects()
        do {
            // Consecutive events of one type go to its batch handler when it has one; order is kept.
            var start = 0
            while start < fresh.count {
                let type = fresh[start].envelope.type.routingKey
                var end = start + 1
                while end < fresh.count, fresh[end].envelope.type.routingKey == type { end += 1 }
                if let batchHandler = handlers.batchByType[type] {
                    outgoing += try await runBatch(Array(fresh[start..<end]), batchHandler, on: connection)
                } else {
                    for item in fresh[start..<end] { outgoing += try await run(item, on: connection) }
                }
                start = end
            }
        } catch {
            if DatabaseFailure.isOutage(error) { throw error }
            throw RejectedInBatch()
        }
        try await outgoing.write(on: connection, logger: logger)
        return []
    }

    private func applyOneByOne(_ accepted: [Accepted], on connection: PostgresConnection) async throws -> [(Delivery, Failure)] {
        var rejected: [(Delivery, Failure)] = []
        var outgoing = Effects()
        for item in accepted {
            let type = item.envelope.type.routingKey
            try await connection.query("SAVEPOINT event", logger: logger)
            do {
                let firstTime = try await Inbox.recordFirstDeliveries([(item.envelope.id, type)], on: connection, logger: logger)
                if firstTime.isEmpty {
                    SuiteMetrics.consumed(type, outcome: "duplicate").increment()
                } else {
                    outgoing += try await run(item, on: connection)
                }
                try await connection.query("RELEASE SAVEPOINT event", logger: logger)
            } catch {
                if DatabaseFailure.isOutage(error) { throw error }
                try await connection.query("ROLLBACK TO SAVEPOINT event", logger: logger)
                let failure: Failure = switch error {
                case EventRejection.invalid(let why): .permanent(why)
                case EventRejection.notYet(let why): .retryable(why)
                default: .retryable("the database refused the change: \(String(reflecting: error))")
                }
                rejected.append((item.delivery, failure))
            }
        }
        try await outgoing.write(on: connection, logger: logger)
        return rejected
    }

    private func runBatch(
        _ items: [Accepted], _ handler: EventHandlers.ErasedBatch, on connection: PostgresConnection
    ) async throws -> Effects {
        let type = items[0].envelope.type.routingKey
        let started = DispatchTime.now().uptimeNanoseconds
        var context = BatchContext(connection: connection, logger: logger, now: clock.now(), cipher: cipher, service: service)
        try await handler(items.map { (body: $0.delivery.body, envelope: $0.envelope) }, &context)
        let perEvent = Int64(DispatchTime.now().uptimeNanoseconds - started) / Int64(items.count)
        for _ in items { SuiteMetrics.handlerDuration(type).recordNanoseconds(perEvent) }
        SuiteMetrics.consumed(type, outcome: "applied").increment(by: items.count)
        return Effects(messages: context.outgoing, audits: context.audits)
    }

    /// Runs one event's handler; returns what it publishes.
    private func run(_ item: Accepted, on connection: PostgresConnection) async throws -> Effects {
        let type = item.envelope.type.routingKey
        var eventLogger = logger
        eventLogger[metadataKey: "event_id"] = "\(item.envelope.id)"
        eventLogger[metadataKey: "correlation_id"] = "\(item.envelope.correlationId)"
        eventLogger[metadataKey: "event_type"] = "\(type)"
        let started = DispatchTime.now().uptimeNanoseconds
        var context = EventContext(envelope: item.envelope, connection: connection, logger: eventLogger, now: clock.now(),
                                   cipher: cipher, service: service)
        try await item.handler(item.delivery.body, &context)
        SuiteMetrics.handlerDuration(type).recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        SuiteMetrics.consumed(type, outcome: "applied").increment()
        return Effects(messages: context.outgoing, audits: context.audits)
    }

    /// The copy of a failed delivery that goes to a retry queue, or to the dead-letter queue when it can
    /// never succeed or has used its attempts. The body and headers travel unchanged.
    private func forward(_ delivery: Delivery, _ failure: Failure) -> OutgoingMessage {
        let attempts = delivery.previousAttempts + 1
        let type = delivery.headers["cloudEvents_type"] ?? delivery.routingKey
        var headers = delivery.headers
        headers[SuiteHeader.attempts] = String(attempts)
        headers[SuiteHeader.originalRoutingKey] = delivery.headers[SuiteHeader.originalRoutingKey] ?? delivery.routingKey
        var eventLogger = logger
        eventLogger[metadataKey: "event_id"] = "\(delivery.headers["cloudEvents_id"] ?? delivery.messageId ?? "?")"
        eventLogger[metadataKey: "correlation_id"] = "\(delivery.headers["cloudEvents_correlationid"] ?? "?")"
        eventLogger[metadataKey: "event_type"] = "\(type)"
        let routingKey: String
        switch failure {
        case .retryable(let why) where attempts < settings.maxAttempts:
            headers[SuiteHeader.lastError] = why
            routingKey = queues.retryQueue(afterAttempts: attempts, settings: settings)
            eventLogger.warning("event failed; will retry", metadata: ["reason": "\(why)", "attempt": "\(attempts)"])
            SuiteMetrics.failed(type).increment()
        case .retryable(let why), .permanent(let why):
            let reason = if case .retryable = failure { "gave up after \(attempts) attempts: \(why)" } else { why }
            headers[SuiteHeader.deadReason] = reason
            headers[SuiteHeader.deadAt] = Timestamp.now().description
            headers[SuiteHeader.deadBy] = service
            routingKey = queues.dead
            eventLogger.error("event dead-lettered", metadata: ["reason": "\(reason)"])
            SuiteMetrics.deadLettered(type).increment()
        }
        return OutgoingMessage(
            exchange: "", routingKey: routingKey,
            messageId: delivery.messageId ?? delivery.headers["cloudEvents_id"] ?? UUID().uuidString.lowercased(),
            contentType: delivery.contentType ?? EventEnvelope.contentType,
            headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, body: Self.withoutCardNumbers(delivery.body))
    }

    /// A refused body keeps no card number, not even in the dead-letter queue: the digits are masked.
    static func withoutCardNumbers(_ body: [UInt8]) -> [UInt8] {
        guard CardNumberGuard.mayContainCardNumber(body) else { return body }
        let text = String(decoding: body, as: UTF8.self)
        guard CardNumbers.containsCardNumber(text) else { return body }
        return Array(CardNumbers.redact(text).utf8)
    }
}

/// What handlers produced in one transaction: events for the outbox and lines for the audit trail.
struct Effects {
    var messages: [OutboxMessage] = []
    var audits: [AuditEntry] = []

    static func += (lhs: inout Effects, rhs: Effects) {
        lhs.messages += rhs.messages
        lhs.audits += rhs.audits
    }

    func write(on connection: PostgresConnection, logger: Logger) async throws {
        try await Outbox.append(messages, on: connection, logger: logger)
        try await AuditLog.append(audits, on: connection, logger: logger)
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let deadline: Duration
    var description: String { "no result within \(deadline)" }
}

/// Runs `work`, giving up (and cancelling it) after `deadline`. Unlike a task group, it returns at the
/// deadline even when `work` ignores cancellation.
func withDeadline<T: Sendable>(_ deadline: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await work() }
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        let first = FirstResult(continuation)
        let timer = Task {
            do { try await Task.sleep(for: deadline) } catch { return }  // the work finished first
            task.cancel()
            first.resume(.failure(DeadlineExceeded(deadline: deadline)))
        }
        Task {
            let result = await task.result
            timer.cancel()
            first.resume(result)
        }
    }
    return try result.get()
}

/// Resumes a continuation with whichever result comes first; later ones are dropped.
final class FirstResult<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<T, any Error>, Never>?>

    init(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) { self.continuation = Mutex(continuation) }

    func resume(_ result: Result<T, any Error>) {
        let waiting = continuation.withLock { taken -> CheckedContinuation<Result<T, any Error>, Never>? in
            defer { taken = nil }
            return taken
        }
        waiting?.resume(returning: result)
    }
}
