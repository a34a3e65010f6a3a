import Foundation
public import Logging
import Synchronization

/// What to do with a delivery once its batch has been handled.
public enum Disposition: Sendable, Equatable {
    /// Done with: handled, or handed on to a retry or dead-letter queue (with confirms) first.
    case ack
    /// Not the message's fault (database down): back to the queue, to be tried again.
    case requeue
}

/// Consumes a service's work queue on a thread of its own, in batches of what has already arrived,
/// and acknowledges only after the handler returns (that is, after its transaction committed).
/// Reconnects with backoff and declares the topology again after a broker restart.
public final class EventConsumer: Sendable {
    public typealias BatchHandler = @Sendable ([Delivery]) async -> [Disposition]

    private let settings: BrokerSettings
    private let queues: ServiceQueues
    private let routingKeys: [String]
    private let handler: BatchHandler
    private let logger: Logger
    private let stopping = Atomic(false)
    private let connected = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(settings: BrokerSettings, queues: ServiceQueues, routingKeys: [String], logger: Logger,
                handler: @escaping BatchHandler) {
        self.settings = settings
        self.queues = queues
        self.routingKeys = routingKeys
        self.logger = logger
        self.handler = handler
    }

    public var isConnected: Bool { connected.load(ordering: .relaxed) }

    public func start() {
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "amqp-consumer-\(queues.service)"
        thread.start()
    }

    /// Finishes the batch in hand, closes the connection (unacked prefetched messages go back to the
    /// queue) and returns when the thread is done.
    public func stop() async {
        stopping.store(true, ordering: .relaxed)
        let finished = self.finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                finished.wait()
                continuation.resume()
            }.start()
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func loop() {
        var backoff = 0.2
        while !isStopping {
            do {
                let connection = try AMQPConnection(settings: settings)
                defer { connection.close() }
                try queues.declare(on: connection, settings: settings, routingKeys: routingKeys)
                try connection.consume(queue: queues.work, prefetch: settings.prefetch)
                connected.store(true, ordering: .relaxed)
                logger.info("consuming", metadata: ["queue": "\(queues.work)", "prefetch": "\(settings.prefetch)"])
                backoff = 0.2
                try consumeBatches(connection)
            } catch {
                connected.store(false, ordering: .relaxed)
                guard !isStopping else { break }
                logger.error("broker connection failed; reconnecting", metadata: [
                    "error": "\(error)", "retry_in_seconds": "\(backoff)",
                ])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
            }
        }
        connected.store(false, ordering: .relaxed)
    }

    private func consumeBatches(_ connection: AMQPConnection) throws(BrokerError) {
        while !isStopping {
            guard let first = try connection.nextDelivery(timeoutMilliseconds: 200) else { continue }
            var batch = [first]
            while batch.count < settings.batchSize, let next = try connection.nextDelivery(timeoutMilliseconds: 0) {
                batch.append(next)
            }
            let handler = self.handler
            let deliveries = batch
            let dispositions = waitForTask { await handler(deliveries) }
            try settle(batch, dispositions, on: connection)
        }
    }

    private func settle(_ batch: [Delivery], _ dispositions: [Disposition], on connection: AMQPConnection) throws(BrokerError) {
        if dispositions.allSatisfy({ $0 == .ack }), let last = batch.last {
            try connection.ack(last.deliveryTag, multiple: true)
            return
        }
        // Something outside the messages failed: wait a little so a down database is not hammered.
        Thread.sleep(forTimeInterval: 1)
        for (delivery, disposition) in zip(batch, dispositions) {
            switch disposition {
            case .ack: try connection.ack(delivery.deliveryTag)
            case .requeue: try connection.requeue(delivery.deliveryTag)
            }
        }
    }
}
