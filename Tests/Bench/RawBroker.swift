import Foundation
import Logging
import Messaging
import Synchronization

/// The broker's own limits on this machine for messages of a given size: publishing alone, consuming
/// alone, and both at once (every message published with confirms and consumed with acks, which is
/// the work each of the suite's messages costs).
enum RawBroker {
    static func measure(settings base: BrokerSettings, messages count: Int, bytes size: Int) async throws -> String {
        var settings = base
        settings.prefetch = 300
        settings.batchSize = 150
        let logger = Logger(label: "broker-bench")
        let queues = ServiceQueues(service: "bench-raw")
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)

        let received = Atomic(0)
        func startConsumer() async throws -> EventConsumer {
            let consumer = EventConsumer(settings: settings, queues: queues, routingKeys: [], logger: logger) { batch in
                received.add(batch.count, ordering: .relaxed)
                return batch.map { _ in .ack }
            }
            consumer.start()
            while !consumer.isConnected { try await Task.sleep(for: .milliseconds(20)) }
            return consumer
        }
        /// Publishes `count` persistent messages, confirmed every 100.
        func publishAll(_ name: String) async throws {
            let publisher = EventPublisher(settings: settings, logger: logger)
            for first in stride(from: 0, to: count, by: 100) {
                try await publisher.publish((first..<min(first + 100, count)).map { n in
                    OutgoingMessage(exchange: "", routingKey: queues.work, messageId: "\(name)-\(n)",
                                    headers: [("cloudEvents_type", "bench.raw.message.v1")], body: body)
                })
            }
            await publisher.shutdown()
        }
        func allReceived() async throws {
            while received.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(5)) }
        }
        func perSecond(since start: ContinuousClock.Instant) -> Int {
            Int(Double(count) / ((ContinuousClock.now - start) / .seconds(1)))
        }

        // Declare the queue, then stop consuming so that the publish figure is publishing alone.
        try await startConsumer().stop()
        var start = ContinuousClock.now
        try await publishAll("raw")
        let publishRate = perSecond(since: start)

        start = .now
        let reader = try await startConsumer()
        try await allReceived()
        let consumeRate = perSecond(since: start)

        // Both at once: the consumer keeps running while the publisher publishes, until the last is consumed.
        received.store(0, ordering: .relaxed)
        start = .now
        try await publishAll("raw-both")
        try await allReceived()
        let bothRate = perSecond(since: start)
        await reader.stop()

        return "{\"messages\": \(count), \"bytes\": \(size), \"publish_confirm_every_100_per_second\": \(publishRate), "
            + "\"consume_prefetch_300_per_second\": \(consumeRate), \"publish_and_consume_per_second\": \(bothRate)}"
    }
}
