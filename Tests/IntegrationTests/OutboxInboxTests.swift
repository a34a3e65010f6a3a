import Logging
import PostgresNIO
import Storage
import Testing

@Suite struct OutboxInboxTests {
    let logger = TestServers.logger

    @Test func migrationsApplyOnceEvenWhenReplicasStartTogether() async throws {
        try await TestServers.withScratchSchema { client in
            let migrations = [Migration(1, "a table", ["CREATE TABLE things (id int PRIMARY KEY)"])]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Migrator.apply(migrations, component: "test", client: client, logger: logger) }
                }
                try await group.waitForAll()
            }
            let applied = try await client.query("SELECT count(*) FROM schema_migrations WHERE component = 'test'")
                .collect().first?.decode(Int.self)
            #expect(applied == 1)
        }
    }

    @Test func theInboxLetsAnEventIdThroughOnce() async throws {
        try await TestServers.withScratchSchema { client in
            try await Migrator.apply(Outbox.migrations, component: "runtime", client: client, logger: logger)
            let first = try await client.inTransaction(logger: logger) {
                try await Inbox.recordFirstDeliveries([("evt-1", "t.v1"), ("evt-2", "t.v1"), ("evt-1", "t.v1")],
                                                      on: $0, logger: logger)
            }
            let again = try await client.inTransaction(logger: logger) {
                try await Inbox.recordFirstDeliveries([("evt-1", "t.v1"), ("evt-3", "t.v1")], on: $0, logger: logger)
            }
            #expect(first == ["evt-1", "evt-2"])
            #expect(again == ["evt-3"])
        }
    }

    @Test func theOutboxKeepsOrderAndHasOneRelayAtATime() async throws {
        try await TestServers.withScratchSchema { client in
            try await Migrator.apply(Outbox.migrations, component: "runtime", client: client, logger: logger)
            let messages = (1...5).map {
                OutboxMessage(messageId: "m\($0)", routingKey: "payments.balance.changed.v1", aggregateId: "pat-1",
                              headers: ["cloudEvents_id": "m\($0)", "x-clinicledger-last-error": "said \"no\" \\ at\n\t\u{1}é €"],
                              body: "{\"n\":\($0)}")
            }
            try await client.inTransaction(logger: logger) { try await Outbox.append(messages, on: $0, logger: logger) }

            // While one session is the relay, another cannot become it: order across replicas is kept.
            try await client.withConnection { relay in
                let isRelay = try await Outbox.becomeRelay(on: relay, logger: logger)
                let otherIsRelay = try await client.withConnection { other in
                    try await Outbox.becomeRelay(on: other, logger: logger)
                }
                #expect(isRelay)
                #expect(!otherIsRelay)
                let first = try await Outbox.unsent(after: 0, limit: 3, on: relay, logger: logger)
                #expect(first.map(\.message) == Array(messages.prefix(3)))
                let next = try await Outbox.unsent(after: first.last!.id, limit: 10, on: relay, logger: logger)
                #expect(next.map(\.message.messageId) == ["m4", "m5"])
                // Only what the broker confirmed is deleted; the rest waits for the next relay.
                try await Outbox.delete(first.map(\.id), on: relay, logger: logger)
                #expect(try await Outbox.backlog(client: client, logger: logger) == 2)
                try await relay.query("SELECT pg_advisory_unlock_all()")
            }
            let left = try await client.withConnection { connection in
                try await Outbox.unsent(after: 0, limit: 10, on: connection, logger: logger)
            }
            #expect(left.map(\.message.messageId) == ["m4", "m5"])
            #expect(try await Outbox.backlog(client: client, logger: logger) == 2)
        }
    }

    @Test func aMessageCommittedBehindTheRelaysCursorIsFoundAsLate() async throws {
        // Seen in the chaos environment: saving a card keeps its transaction open across the gateway call,
        // so its outbox row took an id before a later transaction's row that committed first. A relay whose
        // cursor had passed that id never published it until it restarted.
        try await TestServers.withScratchSchema { client in
            try await Migrator.apply(Outbox.migrations, component: "runtime", client: client, logger: logger)
            func message(_ id: String) -> OutboxMessage {
                OutboxMessage(messageId: id, routingKey: "payments.payment-method.saved.v1", aggregateId: id,
                              headers: ["cloudEvents_id": id], body: "{}")
            }
            var cursor: Int64 = 0
            try await client.withConnection { early in
                try await early.query("BEGIN", logger: logger)
                do {
                    try await Outbox.append([message("early")], on: early, logger: logger)
                    try await client.inTransaction(logger: logger) { try await Outbox.append([message("later")], on: $0, logger: logger) }
                    let seen = try await client.withConnection { try await Outbox.unsent(after: 0, limit: 10, on: $0, logger: logger) }
                    #expect(seen.map(\.message.messageId) == ["later"])
                    cursor = seen.last!.id
                    try await early.query("COMMIT", logger: logger)
                } catch {
                    try? await early.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
            try await client.withConnection { relay in
                #expect(try await Outbox.unsent(after: cursor, limit: 10, on: relay, logger: logger).isEmpty)
                let late = try await Outbox.late(upTo: cursor, published: [cursor], limit: 10, on: relay, logger: logger)
                #expect(late.map(\.message.messageId) == ["early"])
                // What is still in flight is not late.
                #expect(try await Outbox.late(upTo: cursor, published: [cursor, late[0].id], limit: 10, on: relay, logger: logger).isEmpty)
            }
        }
    }
}
