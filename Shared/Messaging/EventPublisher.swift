public import Logging

/// Publishes with publisher confirms over a connection of its own. A call returns only once the broker
/// has confirmed every message of it; when it throws, none of them may be taken as sent.
public final class EventPublisher: Sendable {
    private let settings: BrokerSettings
    private let thread = BrokerThread(name: "amqp-publisher")
    /// Touched only on `thread`.
    private nonisolated(unsafe) var connection: AMQPConnection?
    /// Counts connections, so that a tag from an earlier one is never taken for a tag of this one.
    private nonisolated(unsafe) var generation = 0
    private let logger: Logger

    public init(settings: BrokerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func publish(_ messages: [OutgoingMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await onConnection { connection in
            for message in messages { try connection.publish(message) }
            try connection.waitForConfirms()
        }
    }

    /// Where a stream of publishes stands: tags count messages on one connection (`generation`).
    public struct Mark: Sendable, Equatable {
        public var generation: Int
        public var tag: UInt64
    }

    /// Publishes without waiting for the broker; `confirmed` tells later how far it has confirmed. For a
    /// publisher that keeps several batches in flight (the outbox relay). On any error the connection is
    /// replaced, and nothing unconfirmed on the old one may be taken as sent.
    public func publishUnconfirmed(_ messages: [OutgoingMessage]) async throws -> Mark {
        try await onConnection { [self] connection in
            for message in messages { try connection.publish(message) }
            return Mark(generation: generation, tag: connection.lastPublishedTag)
        }
    }

    /// How far the broker has confirmed, waiting up to `milliseconds` for more confirms to arrive.
    public func confirmed(waitingAtMost milliseconds: Int) async throws -> Mark {
        try await onConnection { [self] connection in
            Mark(generation: generation, tag: try connection.readConfirms(timeoutMilliseconds: milliseconds))
        }
    }

    /// How many messages a queue holds (a passive declare), e.g. the dead-letter queue for a gauge.
    public func messageCount(queue: String) async throws -> Int {
        try await onConnection { [settings] connection in
            try connection.declareQueue(queue, type: settings.queueType, passive: true).messages
        }
    }

    /// Closes the connection once the calls already made are done.
    public func shutdown() async {
        _ = try? await thread.run { [self] in dropConnection() }
        thread.stop()
    }

    /// Runs `work` on the publisher's thread with its connection (opened if needed). On any error the
    /// connection is dropped and the next call starts on a fresh one: unconfirmed state cannot be trusted.
    private func onConnection<T: Sendable>(_ work: @escaping @Sendable (AMQPConnection) throws -> T) async throws -> T {
        try await thread.run { [self] in
            do {
                return try work(try connectIfNeeded())
            } catch {
                dropConnection()
                throw error
            }
        }
    }

    private func dropConnection() {
        connection?.close()
        connection = nil
    }

    private func connectIfNeeded() throws(BrokerError) -> AMQPConnection {
        if let connection { return connection }
        let fresh = try AMQPConnection(settings: settings)
        try fresh.declareExchange(settings.exchange)
        try fresh.enableConfirms()
        connection = fresh
        generation += 1
        logger.info("publisher connected to RabbitMQ", metadata: ["host": "\(settings.host):\(settings.port)"])
        return fresh
    }
}
