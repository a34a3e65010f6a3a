import Foundation

/// A message in a service's dead-letter queue, as an operator sees it.
public struct DeadLetter: Sendable {
    public var messageId: String
    public var eventType: String
    public var reason: String
    public var deadAt: String
    public var attempts: Int
    public var headers: [String: String]
    public var body: [UInt8]

    init(_ delivery: Delivery) {
        headers = delivery.headers
        body = delivery.body
        messageId = delivery.messageId ?? delivery.headers["cloudEvents_id"] ?? "(none)"
        eventType = delivery.headers["cloudEvents_type"] ?? delivery.headers[SuiteHeader.originalRoutingKey] ?? "(unknown)"
        reason = delivery.headers[SuiteHeader.deadReason] ?? "(no reason recorded)"
        deadAt = delivery.headers[SuiteHeader.deadAt] ?? ""
        attempts = delivery.previousAttempts
    }
}

/// Operator access to a service's dead-letter queue: list, show, replay. Runs synchronously on the
/// caller's thread (a command-line tool), over a short-lived connection of its own.
public struct DeadLetterQueue {
    let settings: BrokerSettings
    let queues: ServiceQueues

    public init(settings: BrokerSettings, service: String) {
        self.settings = settings
        self.queues = ServiceQueues(service: service)
    }

    /// Up to `limit` dead letters, oldest first. They stay in the queue.
    public func list(limit: Int = 1_000) throws -> [DeadLetter] {
        let connection = try AMQPConnection(settings: settings)
        defer { connection.close() }  // closing without acks puts every message back
        var letters: [DeadLetter] = []
        while letters.count < limit, let delivery = try connection.get(queue: queues.dead) {
            letters.append(DeadLetter(delivery))
        }
        return letters
    }

    /// Sends the chosen dead letters (all when `messageIds` is nil) back to the service's work queue,
    /// as they first arrived, and removes them from the dead-letter queue once the broker confirmed.
    /// The service's inbox makes a replay of something already applied harmless.
    @discardableResult
    public func replay(messageIds: Set<String>?) throws -> Int {
        let connection = try AMQPConnection(settings: settings)
        defer { connection.close() }
        // Take first, publish after: on a channel in confirm mode, acks arriving between basic.get
        // replies would break the get's request-reply exchange.
        var chosen: [Delivery] = []
        while let delivery = try connection.get(queue: queues.dead) {
            if messageIds?.contains(DeadLetter(delivery).messageId) ?? true { chosen.append(delivery) }
        }
        try connection.enableConfirms()
        for delivery in chosen {
            let headers = delivery.headers.filter { !SuiteHeader.isSuiteHeader($0.key) }.sorted { $0.key < $1.key }
            try connection.publish(OutgoingMessage(
                exchange: "", routingKey: queues.work, messageId: DeadLetter(delivery).messageId,
                contentType: delivery.contentType ?? "application/json", headers: headers.map { ($0.key, $0.value) },
                body: delivery.body))
        }
        try connection.waitForConfirms()
        for delivery in chosen { try connection.ack(delivery.deliveryTag) }
        return chosen.count
    }

    public var queueName: String { queues.dead }
}
