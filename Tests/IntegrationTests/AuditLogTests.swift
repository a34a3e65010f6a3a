import Foundation
import Logging
import PostgresNIO
import Storage
import Testing

extension TestServers {
    /// A scratch schema (its own login role, dropped afterwards) with the platform tables migrated, as a
    /// service has them. `schema` is the scratch schema's name, for the superuser, who must qualify it.
    static func withPlatformTables<T: Sendable>(_ body: (PostgresClient, _ schema: String) async throws -> T) async throws -> T {
        try await withScratchSchema { client in
            try await Migrator.apply(PlatformTables.migrations, component: "platform", client: client, logger: logger)
            let schema = try #require(try await client.query("SELECT current_schema()", logger: logger)
                .collect().first?.decode(String?.self) ?? nil)
            #expect(schema.hasPrefix("it_"), "the scratch role's search_path should be its own schema, not \(schema)")
            return try await body(client, schema)
        }
    }

    /// As the superuser, one transaction with the search path on `schema`.
    static func asSuperuser(in schema: String, _ body: (PostgresConnection) async throws -> Void) async throws {
        try await withClient(try admin()) { admin in
            try await admin.inTransaction(logger: logger) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path = \(schema)"), logger: logger)
                try await body(connection)
            }
        }
    }
}

/// The hash-chained audit trail on the real Postgres (`audit_log` rows, `audit_chain` links), each test
/// in a scratch schema whose role owns the tables (not a superuser), like a service's.
@Suite struct AuditLogTests {
    let logger = TestServers.logger

    /// An audit row and its chain link, if sealed.
    struct ChainRow: Equatable {
        var seq: Int64
        var position: Int64?
        var prevHash: String?
        var hash: String?
    }

    func entry(_ n: Int, clinic: String = "clinic-1") -> AuditEntry {
        AuditEntry(clinicId: clinic, subject: "dana@\(clinic)", role: "billing_staff", action: "adjustment.created",
                   objectType: "adjustment", objectId: "adj-\(n)", summary: "amount 0 -> \(n * 100)",
                   requestId: n.isMultiple(of: 2) ? "req-\(n)" : nil, eventId: n.isMultiple(of: 3) ? "evt-\(n)" : nil)
    }

    /// A pass by a sealer that has just started (it looks at every row).
    func seal(_ client: PostgresClient) async throws -> Int {
        var memory = AuditLog.SealerMemory()
        return try await AuditLog.seal(client: client, logger: logger, memory: &memory)
    }

    func append(_ numbers: some Sequence<Int>, _ client: PostgresClient) async throws {
        try await client.inTransaction(logger: logger) { try await AuditLog.append(numbers.map { entry($0) }, on: $0, logger: logger) }
    }

    func chain(_ client: PostgresClient) async throws -> [ChainRow] {
        var rows: [ChainRow] = []
        for try await (seq, position, prev, hash) in try await client.query(
            "SELECT a.seq, c.position, c.prev_hash, c.hash FROM audit_log a LEFT JOIN audit_chain c ON c.seq = a.seq ORDER BY a.seq",
            logger: logger
        ).decode((Int64, Int64?, String?, String?).self) {
            rows.append(ChainRow(seq: seq, position: position, prevHash: prev, hash: hash))
        }
        return rows
    }

    /// The server's message of a refused statement, or nil when it ran.
    func refusal(_ sql: String, _ client: PostgresClient) async -> String? {
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.message] ?? String(reflecting: error)
        } catch {
            return String(reflecting: error)
        }
    }

    @Test func sealingChainsTheCommittedRowsAndVerifyWalksThem() async throws {
        try await TestServers.withPlatformTables { client, _ in
            try await append(1...2, client)
            try await append([3], client)
            try await append(4...6, client)
            #expect(try await chain(client).allSatisfy { $0.hash == nil && $0.position == nil })

            #expect(try await seal(client) == 6)
            #expect(try await seal(client) == 0)
            let rows = try await chain(client)
            #expect(rows.map(\.position) == [1, 2, 3, 4, 5, 6])
            #expect(rows.first?.prevHash == String(repeating: "0", count: 64))
            for (before, row) in zip(rows, rows.dropFirst()) {
                #expect(row.prevHash == before.hash, "row \(row.seq) does not point at row \(before.seq)")
            }
            #expect(Set(rows.compactMap(\.hash)).count == 6)
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: 6))

            // verify seals what came since, and the chain goes on from the last hash.
            try await append(7...8, client)
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: 8))
            let more = try await chain(client)
            #expect(more[6].prevHash == rows[5].hash)
        }
    }

    @Test func theOwnerCannotChangeDeleteOrTruncateRows() async throws {
        try await TestServers.withPlatformTables { client, _ in
            try await append(1...3, client)
            #expect(try await seal(client) == 3)
            try await append([4], client)  // stays unsealed
            let sealed = try await chain(client)

            let statements = [
                "UPDATE audit_log SET summary = 'amount 0 -> 1' WHERE seq = \(sealed[0].seq)",  // a sealed row's content
                "UPDATE audit_log SET summary = 'amount 0 -> 1' WHERE seq = \(sealed[3].seq)",  // an unsealed row's content
                "DELETE FROM audit_log WHERE seq = \(sealed[3].seq)",  // the unsealed row
                "DELETE FROM audit_log",
                "TRUNCATE audit_log CASCADE",
                "UPDATE audit_chain SET hash = repeat('f', 64) WHERE position = 1",  // re-sealing a sealed row
                "UPDATE audit_chain SET seq = \(sealed[3].seq) WHERE position = 3",  // moving a link to another row
                "DELETE FROM audit_chain WHERE position = 3",  // the newest link
                "TRUNCATE audit_chain",
            ]
            for statement in statements {
                let message = await refusal(statement, client)
                #expect(message?.contains("append-only") == true, "\(statement): \(message ?? "it ran")")
            }
            #expect(await refusal("TRUNCATE audit_log", client) != nil)
            #expect(try await chain(client) == sealed)
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: 4))
        }
    }

    @Test func aRowChangedBehindTheTriggersBackIsNamed() async throws {
        try await TestServers.withPlatformTables { client, schema in
            try await append(1...5, client)
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: 5))
            let target = try await chain(client)[2]

            // Only a superuser can switch the trigger off (replica mode skips ordinary triggers).
            try await TestServers.asSuperuser(in: schema) { connection in
                try await connection.query("SET LOCAL session_replication_role = replica", logger: logger)
                try await connection.query("UPDATE audit_log SET summary = 'amount 0 -> 1' WHERE seq = \(target.seq)", logger: logger)
            }
            let verdict = try await AuditLog.verify(client: client, logger: logger)
            guard case .broken(let seq, let position, let reason) = verdict else {
                Issue.record("a changed row went unnoticed: \(verdict)")
                return
            }
            #expect(seq == target.seq)
            #expect(position == target.position)
            #expect(reason.contains("content"), "\(reason)")
        }
    }

    @Test(arguments: ["audit_log", "audit_chain"])
    func aRowOrLinkDeletedBehindTheTriggersBackBreaksTheChainAfterIt(table: String) async throws {
        try await TestServers.withPlatformTables { client, schema in
            try await append(1...4, client)
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: 4))
            let rows = try await chain(client)
            try await TestServers.asSuperuser(in: schema) { connection in
                try await connection.query("SET LOCAL session_replication_role = replica", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE seq = \(rows[1].seq)"), logger: logger)
            }
            let verdict = try await AuditLog.verify(client: client, logger: logger)
            guard case .broken(let seq, let position, _) = verdict else {
                Issue.record("a deleted row went unnoticed: \(verdict)")
                return
            }
            #expect(seq == rows[2].seq)
            #expect(position == 3)
        }
    }

    /// Sequence numbers are taken at insert, commits come in any order: a row that commits after a later
    /// row was sealed is sealed after it, and nothing is skipped.
    @Test func rowsCommittedOutOfSequenceOrderAreAllSealed() async throws {
        try await TestServers.withPlatformTables { client, _ in
            // One sealer's memory across passes: the second pass finds the late row through its gap.
            var memory = AuditLog.SealerMemory()
            #expect(try await AuditLog.seal(client: client, logger: logger, memory: &memory) == 0)
            try await client.withConnection { early in
                try await early.query("BEGIN", logger: logger)
                do {
                    try await AuditLog.append([entry(1)], on: early, logger: logger)
                    try await client.inTransaction(logger: logger) { try await AuditLog.append([entry(2)], on: $0, logger: logger) }
                    // Only the later row is committed: it is sealed first.
                    #expect(try await AuditLog.seal(client: client, logger: logger, memory: &memory) == 1)
                    try await early.query("COMMIT", logger: logger)
                } catch {
                    try? await early.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
            #expect(try await AuditLog.seal(client: client, logger: logger, memory: &memory) == 1)
            let rows = try await chain(client)
            #expect(rows.count == 2)
            #expect(rows.map(\.position) == [2, 1])
            #expect(rows[0].seq < rows[1].seq)
            #expect(rows[0].prevHash == rows[1].hash)
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: 2))
        }
    }

    @Test func sealersRunningTogetherNeverSealARowTwice() async throws {
        try await TestServers.withPlatformTables { client, _ in
            let writers = 4, transactions = 15, perTransaction = 3
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for t in 0..<transactions {
                            let first = (writer * transactions + t) * perTransaction
                            try await append(first..<(first + perTransaction), client)
                        }
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        var memory = AuditLog.SealerMemory()
                        for _ in 0..<25 { try await AuditLog.seal(client: client, logger: logger, memory: &memory, limit: 7) }
                    }
                }
                try await group.waitForAll()
            }
            let total = writers * transactions * perTransaction
            #expect(try await AuditLog.verify(client: client, logger: logger) == .ok(rows: total))
            let rows = try await chain(client)
            #expect(rows.count == total)
            #expect(Set(rows.compactMap(\.position)) == Set(1...Int64(total)))
            #expect(Set(rows.compactMap(\.prevHash)).count == total)
        }
    }
}
