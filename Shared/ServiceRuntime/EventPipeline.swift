import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import Storage

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
    let logger: Logger

    /// The largest body accepted; anything bigger is not an event a clinic system sends.
    static let maximumBodyBytes = 1 << 20

    var queues: ServiceQueues { ServiceQueues(service: service) }

    enum Failure: Error {
        case permanent(String)
        case retryable(String)
    }

    func handle(_ batch: [Delivery]) async -> [Disposition] {
        var failures: [(Delivery, Failure)] = []
        var accepted: [(Delivery, EventEnvelope, EventHandlers.Erased)] = []
        for delivery in batch {
            switch check(delivery) {
            case .success(let (envelope, handler)): accepted.append((delivery, envelope, handler))
            case .failure(let failure): failures.append((delivery, failure))
            }
        }
        do {
            let rejected = try await applyInOneTransaction(accepted)
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

    /// Applies the accepted events; returns those the handlers rejected. Throws when the database was
    /// unusable, in which case nothing of the batch was committed.
    private func applyInOneTransaction(
        _ accepted: [(Delivery, EventEnvelope, EventHandlers.Erased)]
    ) async throws -> [(Delivery, Failure)] {
        guard !accepted.isEmpty else { return [] }
        return try await client.inTransaction(logger: logger) { connection in
            var rejected: [(Delivery, Failure)] = []
            var outgoing: [OutboxMessage] = []
            for (delivery, envelope, handler) in accepted {
                let type = envelope.type.routingKey
                var eventLogger = logger
                eventLogger[metadataKey: "event_id"] = "\(envelope.id)"
                eventLogger[metadataKey: "correlation_id"] = "\(envelope.correlationId)"
                eventLogger[metadataKey: "event_type"] = "\(type)"
                let started = DispatchTime.now().uptimeNanoseconds
                try await connection.query("SAVEPOINT event", logger: logger)
                do {
                    guard try await Inbox.recordFirstDelivery(eventId: envelope.id, eventType: type, on: connection, logger: logger)
                    else {
                        try await connection.query("RELEASE SAVEPOINT event", logger: logger)
                        SuiteMetrics.consumed(type, outcome: "duplicate").increment()
                        continue
                    }
                    var context = EventContext(envelope: envelope, connection: connection, logger: eventLogger, service: service)
                    try await handler(delivery.body, &context)
                    try await connection.query("RELEASE SAVEPOINT event", logger: logger)
                    outgoing += context.outgoing
                    SuiteMetrics.consumed(type, outcome: "applied").increment()
                } catch {
                    if DatabaseFailure.isOutage(error) { throw error }
                    try await connection.query("ROLLBACK TO SAVEPOINT event", logger: logger)
                    let failure: Failure = switch error {
                    case EventRejection.invalid(let why): .permanent(why)
                    case EventRejection.notYet(let why): .retryable(why)
                    default: .retryable("the database refused the change: \(String(reflecting: error))")
                    }
                    rejected.append((delivery, failure))
                }
                SuiteMetrics.handlerDuration(type).recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            }
            try await Outbox.append(outgoing, on: connection, logger: logger)
            return rejected
        }
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
            headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, body: delivery.body)
    }
}
