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

    @Test func theOutboxKeepsOrderAndOnlyOneRelayTakesAtATime() async throws {
        try await TestServers.withScratchSchema { client in
            try await Migrator.apply(Outbox.migrations, component: "runtime", client: client, logger: logger)
            let messages = (1...5).map {
                OutboxMessage(messageId: "m\($0)", routingKey: "payments.balance.changed.v1", aggregateId: "pat-1",
                              headers: ["cloudEvents_id": "m\($0)", "x-clinicledger-last-error": "said \"no\" \\ at\n\t\u{1}é €"],
                              body: "{\"n\":\($0)}")
            }
            try await client.inTransaction(logger: logger) { try await Outbox.append(messages, on: $0, logger: logger) }

            // While one relay holds the outbox, another gets nothing: order across replicas is kept.
            try await client.withConnection { holder in
                try await holder.query("BEGIN")
                let taken = try await Outbox.takeOldest(limit: 3, on: holder, logger: logger)
                #expect(taken == Array(messages.prefix(3)))
                let other = try await client.inTransaction(logger: logger) {
                    try await Outbox.takeOldest(limit: 10, on: $0, logger: logger)
                }
                #expect(other.isEmpty)
                try await holder.query("COMMIT")
            }
            // A relay that dies before committing (the broker may have the messages) leaves them for the next pass.
            try await client.withConnection { dying in
                try await dying.query("BEGIN")
                #expect(try await Outbox.takeOldest(limit: 10, on: dying, logger: logger).count == 2)
                try await dying.query("ROLLBACK")
            }
            let left = try await client.inTransaction(logger: logger) {
                try await Outbox.takeOldest(limit: 10, on: $0, logger: logger)
            }
            #expect(left.map(\.messageId) == ["m4", "m5"])
            #expect(try await Outbox.backlog(client: client, logger: logger) == 0)
        }
    }
}
