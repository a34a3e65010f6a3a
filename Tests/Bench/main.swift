// The broker's own limits on this machine, through the same rabbitmq-c layer the services use:
// persistent publishes confirmed every 100, and consuming with prefetch 300 and batched acks.
// Usage: broker-bench MESSAGES BYTES   (reads CLINICLEDGER_AMQP_PORT); prints one JSON line.
import Foundation
import Logging
import Messaging
import Synchronization

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let size = arguments.count > 2 ? Int(arguments[2]) ?? 500 : 500
var settings = BrokerSettings()
settings.port = Int(ProcessInfo.processInfo.environment["CLINICLEDGER_AMQP_PORT"] ?? "5672") ?? 5672
settings.prefetch = 300
settings.batchSize = 150
let logger = Logger(label: "broker-bench")
let queues = ServiceQueues(service: "bench-raw")
let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)

let received = Atomic(0)
let consumer = EventConsumer(settings: settings, queues: queues, routingKeys: [], logger: logger) { batch in
    received.add(batch.count, ordering: .relaxed)
    return batch.map { _ in .ack }
}
// Declare the queue, then stop consuming so that the publish figure is publishing alone.
consumer.start()
while !consumer.isConnected { try await Task.sleep(for: .milliseconds(20)) }
await consumer.stop()

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
let reader = EventConsumer(settings: settings, queues: queues, routingKeys: [], logger: logger) { batch in
    received.add(batch.count, ordering: .relaxed)
    return batch.map { _ in .ack }
}
reader.start()
while received.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(5)) }
let consumeSeconds = (ContinuousClock.now - consumeStart) / .seconds(1)
await reader.stop()

print("{\"messages\": \(count), \"bytes\": \(size), "
    + "\"publish_confirm_every_100_per_second\": \(Int(Double(count) / publishSeconds)), "
    + "\"consume_prefetch_300_per_second\": \(Int(Double(count) / consumeSeconds))}")
