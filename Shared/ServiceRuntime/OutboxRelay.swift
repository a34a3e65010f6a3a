import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import Storage
import Synchronization

/// Publishes what the outbox holds, oldest first, with publisher confirms, and deletes it in the same
/// transaction that took it, committed once the broker has confirmed. A crash between confirm and
/// commit publishes a row twice; the consumers' inboxes absorb that.
final class OutboxRelay: Sendable {
    private let client: PostgresClient
    private let publisher: EventPublisher
    private let exchange: String
    private let deadLetterQueue: String
    private let logger: Logger
    private let doorbell = Doorbell()
    private let stopped = Atomic(false)
    private let exitAfterBatches: Int
    private let batchesRelayed = Atomic(0)
    static let batchLimit = 500

    init(client: PostgresClient, publisher: EventPublisher, exchange: String, deadLetterQueue: String, logger: Logger,
         exitAfterBatches: Int = 0) {
        self.exitAfterBatches = exitAfterBatches
        self.client = client
        self.publisher = publisher
        self.exchange = exchange
        self.deadLetterQueue = deadLetterQueue
        self.logger = logger
    }

    /// Something was just written to the outbox: look now rather than at the next poll.
    func nudge() { doorbell.ring() }

    /// Ends `run` after one last pass; called once the consumer has stopped writing to the outbox.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        doorbell.ring()
    }

    /// Runs until `stop`, then publishes what is left once more.
    func run() async {
        var backoff = Duration.milliseconds(100)
        var lastHousekeeping = ContinuousClock.now
        while !stopped.load(ordering: .relaxed) {
            do {
                // Same guard as the pipeline's: a database call that never returns must not stop the relay.
                let published = try await withDeadline(EventPipeline.batchDeadline) { try await self.relayOnce() }
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
            // Idle until a handler rings, or 250 ms (other replicas' rows, or rows left by a crash).
            await doorbell.wait(atMost: .milliseconds(250))
        }
        _ = try? await relayOnce()
    }

    @discardableResult
    func relayOnce() async throws -> Int {
        try await client.inTransaction(logger: logger) { connection in
            let taken = try await Outbox.takeOldest(limit: Self.batchLimit, on: connection, logger: logger)
            guard !taken.isEmpty else { return 0 }
            try await publisher.publish(taken.map { message in
                OutgoingMessage(
                    exchange: exchange, routingKey: message.routingKey, messageId: message.messageId,
                    headers: message.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                    body: Array(message.body.utf8))
            })
            if exitAfterBatches > 0, batchesRelayed.add(1, ordering: .relaxed).newValue == exitAfterBatches {
                logger.critical("fault drill: exiting between publish and commit", metadata: ["rows": "\(taken.count)"])
                _exit(86)
            }
            for message in taken { SuiteMetrics.published(message.routingKey).increment() }
            return taken.count
        }
    }

    private func housekeeping() async {
        do {
            SuiteMetrics.outboxBacklog.record(try await Outbox.backlog(client: client, logger: logger))
            SuiteMetrics.deadLetterQueueDepth.record(try await publisher.messageCount(queue: deadLetterQueue))
        } catch {
            logger.debug("outbox housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Wakes one waiting task when rung; a ring with nobody waiting is kept for the next wait.
final class Doorbell: Sendable {
    private let state = Mutex<(rung: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    func wait(atMost timeout: Duration) async {
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { ring() }
        }
        await withCheckedContinuation { continuation in
            let ringing = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ringing { continuation.resume() }
        }
        timer.cancel()
    }
}
