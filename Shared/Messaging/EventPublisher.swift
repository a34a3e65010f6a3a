public import Logging

/// Publishes with publisher confirms over a connection of its own. A call returns only once the broker
/// has confirmed every message of it; when it throws, none of them may be taken as sent.
public final class EventPublisher: Sendable {
    private let settings: BrokerSettings
    private let thread = BrokerThread(name: "amqp-publisher")
    /// Touched only on `thread`.
    private nonisolated(unsafe) var connection: AMQPConnection?
    private let logger: Logger

    public init(settings: BrokerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func publish(_ messages: [OutgoingMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await thread.run { [self] in try publishOnThread(messages) }
    }

    /// How many messages a queue holds (a passive declare), e.g. the dead-letter queue for a gauge.
    public func messageCount(queue: String) async throws -> Int {
        try await thread.run { [self] in
            do {
                return try connectIfNeeded().declareQueue(queue, type: settings.queueType, passive: true).messages
            } catch {
                connection?.close()
                connection = nil
                throw error
            }
        }
    }

    /// Closes the connection once the calls already made are done.
    public func shutdown() async {
        _ = try? await thread.run { [self] in
            connection?.close()
            connection = nil
        }
        thread.stop()
    }

    private func publishOnThread(_ messages: [OutgoingMessage]) throws {
        do {
            let connection = try connectIfNeeded()
            for message in messages { try connection.publish(message) }
            try connection.waitForConfirms()
        } catch {
            // Start again on a fresh connection next time: unconfirmed state cannot be trusted.
            connection?.close()
            connection = nil
            throw error
        }
    }

    private func connectIfNeeded() throws(BrokerError) -> AMQPConnection {
        if let connection { return connection }
        let fresh = try AMQPConnection(settings: settings)
        try fresh.declareExchange(settings.exchange)
        try fresh.enableConfirms()
        connection = fresh
        logger.info("publisher connected to RabbitMQ", metadata: ["host": "\(settings.host):\(settings.port)"])
        return fresh
    }
}
