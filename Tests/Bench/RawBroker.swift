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
        let handler: EventConsumer.BatchHandler = { batch in
            received.add(batch.count, ordering: .relaxed)
            return batch.map { _ in .ack }
        }
        // Declare the queue, then stop consuming so that the publish figure is publishing alone.
        let declarer = EventConsumer(settings: settings, queues: queues, routingKeys: [], logger: logger, handler: handler)
        declarer.start()
        while !declarer.isConnected { try await Task.sleep(for: .milliseconds(20)) }
        await declarer.stop()

        let publisher = EventPublisher(settings: settings, logger: logger)
        let publishStart = ContinuousClock.now
        for first in stride(from: 0, to: count, by: 100) {
            try await publisher.publish((first..<min(first + 100, count)).map { n in
                OutgoingMessage(exchange: "", routingKey: queues.work, messageId: "raw-\(n)",
                                headers: [("cloudEvents_type", "bench.raw.message.v1")], body: body)
            })
        }
        let publishSeconds = (ContinuousClock.now - publishStart) / .seconds(1)
        await publisher.shutdown()

        let consumeStart = ContinuousClock.now
        let reader = EventConsumer(settings: settings, queues: queues, routingKeys: [], logger: logger, handler: handler)
        reader.start()
        while received.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(5)) }
        let consumeSeconds = (ContinuousClock.now - consumeStart) / .seconds(1)
        await reader.stop()

        // Both at once: a consumer running while the publisher publishes, until the last one is consumed.
        received.store(0, ordering: .relaxed)
        let both = EventConsumer(settings: settings, queues: queues, routingKeys: [], logger: logger, handler: handler)
        both.start()
        while !both.isConnected { try await Task.sleep(for: .milliseconds(20)) }
        let bothPublisher = EventPublisher(settings: settings, logger: logger)
        let bothStart = ContinuousClock.now
        for first in stride(from: 0, to: count, by: 100) {
            try await bothPublisher.publish((first..<min(first + 100, count)).map { n in
                OutgoingMessage(exchange: "", routingKey: queues.work, messageId: "raw-both-\(n)",
                                headers: [("cloudEvents_type", "bench.raw.message.v1")], body: body)
            })
        }
        while received.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(5)) }
        let bothSeconds = (ContinuousClock.now - bothStart) / .seconds(1)
        await bothPublisher.shutdown()
        await both.stop()

        return "{\"messages\": \(count), \"bytes\": \(size), "
            + "\"publish_confirm_every_100_per_second\": \(Int(Double(count) / publishSeconds)), "
            + "\"consume_prefetch_300_per_second\": \(Int(Double(count) / consumeSeconds)), "
            + "\"publish_and_consume_per_second\": \(Int(Double(count) / bothSeconds))}"
    }
}
