import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import Storage
import Synchronization

/// Publishes what the outbox holds, oldest first, and deletes each message once the broker has
/// confirmed it. It keeps publishing while earlier batches wait for their confirms (up to
/// `maximumInFlight` batches), so a message goes out moments after its transaction commits instead of
/// after the previous batch's confirm. If the relay dies, or its broker connection fails, before the
/// delete, the messages are published again from the outbox; the consumers' inboxes absorb the copies.
/// Only one relay publishes at a time (a session advisory lock), which keeps each patient's events in order.
final class OutboxRelay: Sendable {
    private let client: PostgresClient
    private let database: DatabaseSettings
    /// The relay's own connection: confirms are counted per connection.
    private let publisher: EventPublisher
    /// The service's shared publisher, asked for the dead-letter queue's depth.
    private let inspector: EventPublisher
    private let exchange: String
    private let deadLetterQueue: String
    private let logger: Logger
    private let doorbell = Doorbell()
    /// When `stop` was called: from then on the relay drains, for at most `drainLimit`.
    private let stoppedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let exitAfterBatches: Int
    private let batchesConfirmed = Atomic(0)
    private let lastHousekeeping = Mutex(ContinuousClock.now)
    static let batchLimit = 500
    static let maximumInFlight = 8
    /// How long a stopping relay waits for the broker to confirm what it published.
    static let drainLimit = Duration.seconds(5)

    init(client: PostgresClient, database: DatabaseSettings, publisher: EventPublisher, inspector: EventPublisher,
         exchange: String, deadLetterQueue: String, logger: Logger, exitAfterBatches: Int = 0) {
        self.client = client
        self.database = database
        self.publisher = publisher
        self.inspector = inspector
        self.exchange = exchange
        self.deadLetterQueue = deadLetterQueue
        self.logger = logger
        self.exitAfterBatches = exitAfterBatches
    }

    /// Something was just written to the outbox: look now rather than at the next poll.
    func nudge() { doorbell.ring() }

    /// Ends `run` once what the outbox holds is published and confirmed (or `drainLimit` has passed);
    /// called once the consumer has stopped writing to the outbox.
    func stop() {
        stoppedAt.withLock { $0 = $0 ?? .now }
        doorbell.ring()
    }

    private var isStopped: Bool { stoppedAt.withLock { $0 != nil } }
    private var drainIsOver: Bool { stoppedAt.withLock { $0.map { ContinuousClock.now - $0 > Self.drainLimit } ?? false } }

    func run() async {
        var backoff = Duration.milliseconds(100)
        while !drainIsOver {
            do {
                let relayed = try await relayOnOwnConnection()
                backoff = .milliseconds(100)
                // Stopping: drained, or another replica holds the lock and publishes the rest.
                if isStopped { break }
                if !relayed {  // another replica relays; look again later, it may stop
                    await housekeepingWhenDue()
                    await doorbell.wait(atMost: .milliseconds(250))
                }
            } catch {
                logger.warning("outbox relay could not publish; will publish again what was not confirmed",
                               metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        await publisher.shutdown()
    }

    /// Holds a connection of its own while it is the relay: the session lock lives and dies with it.
    /// Returns false when another replica is the relay.
    private func relayOnOwnConnection() async throws -> Bool {
        let settings = database
        let connection = try await guarded {
            try await PostgresConnection.connect(configuration: settings.connectionConfiguration, id: 1, logger: self.logger)
        }
        do {
            let isRelay = try await guarded { try await Outbox.becomeRelay(on: connection, logger: self.logger) }
            if isRelay { try await relayWhileHoldingTheLock(on: connection) }
            await close(connection)
            return isRelay
        } catch {
            await close(connection)
            throw error
        }
    }

    /// Closing releases the lock; bounded, as the connection may be dead.
    private func close(_ connection: PostgresConnection) async {
        _ = try? await withDeadline(.seconds(2)) { try await connection.close() }
    }

    private typealias InFlight = (mark: EventPublisher.Mark, ids: [Int64], routingKeys: [String])

    private func relayWhileHoldingTheLock(on connection: PostgresConnection) async throws {
        var cursor: Int64 = 0  // everything after it is in the outbox and not yet published by this pass
        var inFlight: [InFlight] = []
        var lastLook = ContinuousClock.now
        var lastLateLook = ContinuousClock.now
        var lookNow = true  // more rows may be waiting, or the doorbell woke us
        while !drainIsOver {
            var busy = false
            if inFlight.count < Self.maximumInFlight,
               lookNow || isStopped || doorbell.takeRing() || ContinuousClock.now - lastLook > .milliseconds(250) {
                lastLook = .now
                let after = cursor
                var rows = try await guarded {
                    try await Outbox.unsent(after: after, limit: Self.batchLimit, on: connection, logger: self.logger)
                }
                lookNow = rows.count == Self.batchLimit
                // Once a second, the rows that committed behind the cursor (their transaction took its id
                // before a later one that committed first); without this look they would wait for a restart.
                if after > 0, ContinuousClock.now - lastLateLook > .seconds(1) {
                    lastLateLook = .now
                    let published = inFlight.flatMap(\.ids)
                    let late = try await guarded {
                        try await Outbox.late(upTo: after, published: published, limit: Self.batchLimit, on: connection,
                                              logger: self.logger)
                    }
                    rows = late + rows
                }
                if let last = rows.last {
                    let mark = try await publisher.publishUnconfirmed(rows.map { outgoing($0.message) })
                    cursor = max(cursor, last.id)
                    inFlight.append((mark, rows.map(\.id), rows.map(\.message.routingKey)))
                    busy = true
                }
            }
            if !inFlight.isEmpty {
                let confirmed = try await publisher.confirmed(waitingAtMost: busy ? 0 : 5)
                guard confirmed.generation == inFlight[0].mark.generation else {
                    throw RelayError.connectionReplaced
                }
                let done = inFlight.prefix { $0.mark.tag <= confirmed.tag }
                if !done.isEmpty {
                    faultDrill(confirmedBatches: done.count)
                    let ids = done.flatMap(\.ids)
                    try await guarded { try await Outbox.delete(ids, on: connection, logger: self.logger) }
                    for batch in done { for key in batch.routingKeys { SuiteMetrics.published(key).increment() } }
                    inFlight.removeFirst(done.count)
                    busy = true
                }
            } else if isStopped, !busy {
                return  // everything published and confirmed
            }
            await housekeepingWhenDue()
            if !busy, inFlight.isEmpty {
                await doorbell.wait(atMost: .milliseconds(250))
                lookNow = true
            }
        }
    }

    private func outgoing(_ message: OutboxMessage) -> OutgoingMessage {
        OutgoingMessage(
            exchange: exchange, routingKey: message.routingKey, messageId: message.messageId,
            headers: message.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            body: Array(message.body.utf8))
    }

    /// `FAULT_EXIT_AFTER_RELAYED_BATCHES`: die with the broker's confirm in hand and the rows not deleted.
    private func faultDrill(confirmedBatches: Int) {
        guard exitAfterBatches > 0 else { return }
        if batchesConfirmed.add(confirmedBatches, ordering: .relaxed).newValue >= exitAfterBatches {
            logger.critical("fault drill: exiting between the broker's confirm and the outbox delete")
            _exit(86)
        }
    }

    /// The same guard as the pipeline's: a database call that never returns must not stop the relay.
    private func guarded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withDeadline(EventPipeline.batchDeadline, work)
    }

    private func housekeepingWhenDue() async {
        let due = lastHousekeeping.withLock { last in
            guard ContinuousClock.now - last > .seconds(5) else { return false }
            last = .now
            return true
        }
        guard due else { return }
        do {
            SuiteMetrics.outboxBacklog.record(try await Outbox.backlog(client: client, logger: logger))
            SuiteMetrics.deadLetterQueueDepth.record(try await inspector.messageCount(queue: deadLetterQueue))
        } catch {
            logger.debug("outbox housekeeping failed", metadata: ["error": "\(error)"])
        }
    }

    enum RelayError: Error, CustomStringConvertible {
        case connectionReplaced
        var description: String { "the broker connection was replaced before it confirmed everything" }
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

    /// Whether it was rung since the last look, without waiting.
    func takeRing() -> Bool {
        state.withLock { state in
            defer { state.rung = false }
            return state.rung
        }
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
