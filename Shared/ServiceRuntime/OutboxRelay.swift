import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import Storage
import Synchronization

/// Publishes what the outbox holds, oldest first, with publisher confirms, and marks it sent in the
/// same transaction that claimed it. A crash between confirm and commit publishes a row twice; the
/// consumers' inboxes absorb that.
final class OutboxRelay: Sendable {
    private let client: PostgresClient
    private let publisher: EventPublisher
    private let exchange: String
    private let deadLetterQueue: String
    private let logger: Logger
    private let nudged = Atomic(false)
    private let stopped = Atomic(false)
    static let batchLimit = 500

    init(client: PostgresClient, publisher: EventPublisher, exchange: String, deadLetterQueue: String, logger: Logger) {
        self.client = client
        self.publisher = publisher
        self.exchange = exchange
        self.deadLetterQueue = deadLetterQueue
        self.logger = logger
    }

    /// Something was just written to the outbox: look now rather than at the next poll.
    func nudge() { nudged.store(true, ordering: .relaxed) }

    /// Ends `run` after one last pass; called once the consumer has stopped writing to the outbox.
    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Runs until `stop`, then publishes what is left once more.
    func run() async {
        var backoff = Duration.milliseconds(100)
        var lastHousekeeping = ContinuousClock.now
        while !stopped.load(ordering: .relaxed) {
            do {
                let published = try await relayOnce()
                backoff = .milliseconds(100)
                if published == Self.batchLimit { continue }
            } catch {
                logger.warning("outbox relay could not publish; will retry", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
            if ContinuousClock.now - lastHousekeeping > .seconds(5) {
                lastHousekeeping = .now
                await housekeeping()
            }
            // Idle: wake every 10 ms to see whether a handler nudged, and poll anyway every 250 ms
            // (other replicas' rows, or rows left by a crash).
            for _ in 0..<25 {
                if nudged.exchange(false, ordering: .relaxed) || stopped.load(ordering: .relaxed) { break }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        _ = try? await relayOnce()
    }

    @discardableResult
    func relayOnce() async throws -> Int {
        try await client.inTransaction(logger: logger) { connection in
            let claimed = try await Outbox.claimUnsent(limit: Self.batchLimit, on: connection, logger: logger)
            guard !claimed.isEmpty else { return 0 }
            try await publisher.publish(claimed.map { row in
                OutgoingMessage(
                    exchange: exchange, routingKey: row.message.routingKey, messageId: row.message.messageId,
                    headers: row.message.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                    body: Array(row.message.body.utf8))
            })
            try await Outbox.markSent(claimed.map(\.id), on: connection, logger: logger)
            for row in claimed { SuiteMetrics.published(row.message.routingKey).increment() }
            return claimed.count
        }
    }

    private func housekeeping() async {
        do {
            SuiteMetrics.outboxBacklog.record(try await Outbox.backlog(client: client, logger: logger))
            try await Outbox.pruneSent(client: client, logger: logger)
            SuiteMetrics.deadLetterQueueDepth.record(try await publisher.messageCount(queue: deadLetterQueue))
        } catch {
            logger.debug("outbox housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}
