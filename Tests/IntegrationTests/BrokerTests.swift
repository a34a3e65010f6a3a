import Foundation
import Messaging
import Synchronization
import Testing

/// The rabbitmq-c layer against a real broker: confirms, consuming with acks, dead-letter list and replay.
@Suite struct BrokerTests {
    final class Received: Sendable {
        let deliveries = Mutex<[Delivery]>([])
        var all: [Delivery] { deliveries.withLock { $0 } }
    }

    /// A consumer on a fresh service's queues that records and acknowledges everything.
    func startConsumer(_ settings: BrokerSettings, service: String, routingKeys: [String]) async throws
        -> (EventConsumer, Received)
    {
        let received = Received()
        let consumer = EventConsumer(settings: settings, queues: ServiceQueues(service: service),
                                     routingKeys: routingKeys, logger: TestServers.logger) { batch in
            received.deliveries.withLock { $0 += batch }
            return batch.map { _ in .ack }
        }
        consumer.start()
        try await waitFor(10) { consumer.isConnected }
        return (consumer, received)
    }

    func waitFor(_ seconds: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition(), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
    }

    @Test func publishedEventsArriveWithHeadersAndBodyIntactAndAreAckedOnce() async throws {
        let exchange = "it.\(UUID().uuidString.prefix(8))"
        let settings = try TestServers.broker(exchange: exchange)
        let service = "it-\(UUID().uuidString.prefix(8).lowercased())"
        let (consumer, received) = try await startConsumer(settings, service: service, routingKeys: ["clinic.charge.posted.v1"])
        #expect(consumer.isConnected)

        let publisher = EventPublisher(settings: settings, logger: TestServers.logger)
        let body = Array("{\"chargeId\":\"c-ü\"}".utf8)
        let messages = (0..<250).map { n in
            OutgoingMessage(exchange: exchange, routingKey: "clinic.charge.posted.v1", messageId: "m\(n)",
                            headers: [("cloudEvents_id", "m\(n)"), ("cloudEvents_type", "clinic.charge.posted.v1")], body: body)
        }
        try await publisher.publish(messages)
        // Not bound: confirmed by the broker, delivered to no one.
        try await publisher.publish([OutgoingMessage(exchange: exchange, routingKey: "clinic.other.thing.v1",
                                                     messageId: "x", headers: [], body: body)])
        try await waitFor(15) { received.all.count >= 250 }
        await consumer.stop()
        await publisher.shutdown()

        let all = received.all
        #expect(all.count == 250)
        #expect(all.map(\.messageId) == messages.map(\.messageId))
        #expect(all.first?.headers["cloudEvents_type"] == "clinic.charge.posted.v1")
        #expect(all.first?.body == body)
        #expect(all.first?.contentType == "application/json")
        let depth = try DeadLetterQueue(settings: settings, service: service).list().count
        #expect(depth == 0)
    }

    @Test func batchesPublishedWithoutWaitingAreConfirmedInOrder() async throws {
        let settings = try TestServers.broker(exchange: "it.\(UUID().uuidString.prefix(8))")
        let service = "it-\(UUID().uuidString.prefix(8).lowercased())"
        let (consumer, received) = try await startConsumer(settings, service: service, routingKeys: [])
        let publisher = EventPublisher(settings: settings, logger: TestServers.logger)
        var marks: [EventPublisher.Mark] = []
        for batch in 0..<3 {
            marks.append(try await publisher.publishUnconfirmed((0..<100).map { n in
                OutgoingMessage(exchange: "", routingKey: service, messageId: "b\(batch)-\(n)", headers: [], body: [])
            }))
        }
        #expect(marks.map(\.tag) == [100, 200, 300])
        #expect(Set(marks.map(\.generation)).count == 1)
        var confirmed = try await publisher.confirmed(waitingAtMost: 0)
        let deadline = Date().addingTimeInterval(10)
        while confirmed.tag < 300, Date() < deadline { confirmed = try await publisher.confirmed(waitingAtMost: 100) }
        #expect(confirmed.tag == 300 && confirmed.generation == marks[0].generation)
        try await waitFor(15) { received.all.count >= 300 }
        #expect(received.all.map(\.messageId) == (0..<3).flatMap { b in (0..<100).map { "b\(b)-\($0)" } })
        await consumer.stop()
        await publisher.shutdown()
    }

    @Test func deadLettersCanBeListedAndReplayedOnce() async throws {
        let settings = try TestServers.broker()
        let service = "it-\(UUID().uuidString.prefix(8).lowercased())"
        let (consumer, received) = try await startConsumer(settings, service: service, routingKeys: [])

        let publisher = EventPublisher(settings: settings, logger: TestServers.logger)
        try await publisher.publish(["a", "b"].map { id in
            OutgoingMessage(exchange: "", routingKey: "\(service).dead", messageId: id, headers: [
                ("cloudEvents_id", id), ("cloudEvents_type", "clinic.charge.voided.v1"),
                (SuiteHeader.deadReason, "charge \(id) has not been posted"), (SuiteHeader.attempts, "5"),
            ], body: Array("{}".utf8))
        })
        let queue = DeadLetterQueue(settings: settings, service: service)
        let letters = try queue.list()
        #expect(letters.map(\.messageId) == ["a", "b"])
        #expect(letters.first?.reason == "charge a has not been posted")
        #expect(letters.first?.attempts == 5)
        #expect(try queue.list().count == 2, "listing leaves the letters in the queue")

        #expect(try queue.replay(messageIds: ["b"]) == 1)
        try await waitFor(10) { received.all.count >= 1 }
        #expect(received.all.map(\.messageId) == ["b"])
        #expect(received.all.first?.headers[SuiteHeader.deadReason] == nil, "a replay starts afresh")
        #expect(try queue.list().map(\.messageId) == ["a"])
        await consumer.stop()
        await publisher.shutdown()
    }
}

extension BrokerTests {
    @Test func quorumQueuesWorkTheSameWay() async throws {
        var settings = try TestServers.broker()
        settings.queueType = .quorum
        let service = "it-quorum-\(UUID().uuidString.prefix(8).lowercased())"
        let (consumer, received) = try await startConsumer(settings, service: service, routingKeys: [])
        #expect(consumer.isConnected, "declaring quorum work, retry and dead-letter queues failed; see the log")
        let publisher = EventPublisher(settings: settings, logger: TestServers.logger)
        try await publisher.publish([OutgoingMessage(exchange: "", routingKey: service, messageId: "q1", headers: [],
                                                     body: Array("{}".utf8))])
        try await waitFor(10) { received.all.count == 1 }
        #expect(received.all.map(\.messageId) == ["q1"])
        await consumer.stop()
        await publisher.shutdown()
    }
}
