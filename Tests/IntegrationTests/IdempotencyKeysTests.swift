import Foundation
import Logging
import PostgresNIO
import Storage
import Synchronization
import Testing

/// `Idempotency-Key`s on the real Postgres, the way `APIRoutes.write` uses them: claim, effect and stored
/// answer in one transaction.
@Suite struct IdempotencyKeysTests {
    let logger = TestServers.logger

    func answer(_ body: String, fingerprint: String = "fp-1") -> IdempotencyKeys.StoredAnswer {
        .init(fingerprint: fingerprint, status: 201, body: body)
    }

    func claim(_ key: String, clinic: String = "clinic-1", _ client: PostgresClient) async throws -> IdempotencyKeys.StoredAnswer? {
        try await client.inTransaction(logger: logger) {
            try await IdempotencyKeys.claim(clinicId: clinic, key: key, on: $0, logger: logger)
        }
    }

    func store(_ key: String, clinic: String = "clinic-1", _ answer: IdempotencyKeys.StoredAnswer, at: Date = Date(),
               _ client: PostgresClient) async throws {
        try await client.inTransaction(logger: logger) {
            try await IdempotencyKeys.store(clinicId: clinic, key: key, answer: answer, at: at, on: $0, logger: logger)
        }
    }

    @Test func aNewKeyHasNoAnswerAndAStoredOneIsGivenBack() async throws {
        try await TestServers.withPlatformTables { client, _ in
            #expect(try await claim("key-1", client) == nil)
            try await store("key-1", answer(#"{"id":"adj-1"}"#), client)
            let stored = try await claim("key-1", client)
            #expect(stored?.fingerprint == "fp-1")
            #expect(stored?.status == 201)
            #expect(stored?.body == #"{"id":"adj-1"}"#)
            // Keys are per clinic.
            #expect(try await claim("key-1", clinic: "clinic-2", client) == nil)
            #expect(try await claim("key-2", client) == nil)
        }
    }

    /// Twenty retries of one request at once: one makes the effect, the others answer what it stored.
    @Test func concurrentRequestsWithOneKeyMakeOneEffect() async throws {
        try await TestServers.withPlatformTables { client, _ in
            try await client.query("CREATE TABLE effects (request int NOT NULL)", logger: logger)
            let answers = try await withThrowingTaskGroup(of: (request: Int, made: Bool, body: String).self) { group in
                for request in 0..<20 {
                    group.addTask {
                        try await client.inTransaction(logger: logger) { connection in
                            if let stored = try await IdempotencyKeys.claim(
                                clinicId: "clinic-1", key: "retry-me", on: connection, logger: logger) {
                                return (request, false, stored.body)
                            }
                            try await connection.query("INSERT INTO effects VALUES (\(request))", logger: logger)
                            let body = #"{"made_by":\#(request)}"#
                            try await IdempotencyKeys.store(clinicId: "clinic-1", key: "retry-me", answer: answer(body),
                                                            at: Date(), on: connection, logger: logger)
                            return (request, true, body)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let effects = try await client.query("SELECT request FROM effects", logger: logger).collect().map { try $0.decode(Int.self) }
            #expect(effects.count == 1)
            let makers = answers.filter(\.made)
            #expect(makers.map(\.request) == effects)
            #expect(answers.count == 20)
            #expect(Set(answers.map(\.body)) == [#"{"made_by":\#(effects.first ?? -1)}"#])
        }
    }

    @Test func pruneForgetsOnlyKeysOlderThanTheCutoff() async throws {
        try await TestServers.withPlatformTables { client, _ in
            let now = Date()
            let ages: [String: Double] = ["48h": 48, "25h": 25, "23h": 23, "new": 0]
            for (key, hours) in ages {
                try await store(key, answer("{}"), at: now.addingTimeInterval(-hours * 3_600), client)
            }
            let pruned = try await client.inTransaction(logger: logger) {
                try await IdempotencyKeys.prune(olderThan: now.addingTimeInterval(-24 * 3_600), on: $0, logger: logger)
            }
            #expect(pruned == 2)
            let kept = try await client.query("SELECT key FROM idempotency_keys ORDER BY key", logger: logger)
                .collect().map { try $0.decode(String.self) }
            #expect(kept == ["23h", "new"])
            #expect(try await claim("48h", client) == nil)
            #expect(try await claim("23h", client) != nil)
        }
    }

    /// Set when the other side is done, so a holder lets go as soon as the test has seen what it needed.
    final class Done: Sendable {
        private let value = Atomic(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }

    /// Holds `key`'s claim in a transaction of its own (at most `hold`) while `body` runs.
    @discardableResult
    func whileAnotherRequestHolds<T: Sendable>(
        _ key: String, _ client: PostgresClient, hold: Duration = .seconds(6),
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (claimed, claimedSignal) = AsyncStream.makeStream(of: Void.self)
        let done = Done()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await client.inTransaction(logger: logger) { connection in
                    _ = try await IdempotencyKeys.claim(clinicId: "clinic-1", key: key, on: connection, logger: logger)
                    claimedSignal.yield()
                    claimedSignal.finish()
                    let deadline = ContinuousClock.now + hold
                    while !done.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                }
                return nil
            }
            for await _ in claimed {}
            defer { done.set() }
            let result = try await body()
            done.set()
            try await group.waitForAll()
            return result
        }
    }

    /// The timeout of the key's lock comes back with the lock statement's (unread) row: the claim must read
    /// it to turn it into `InProgress` (409 request_in_progress), or the next statement fails with 25P02 (a 500).
    @Test func aSecondRequestWaitsAtMostItsWaitThenIsToldTheFirstIsInProgress() async throws {
        try await TestServers.withPlatformTables { client, _ in
            let started = ContinuousClock.now
            try await whileAnotherRequestHolds("slow", client) {
                await #expect(throws: IdempotencyKeys.InProgress.self) {
                    try await client.inTransaction(logger: logger) {
                        try await IdempotencyKeys.claim(clinicId: "clinic-1", key: "slow", on: $0, logger: logger, wait: .seconds(1))
                    }
                }
            }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    /// `wait` is a Duration: one under a second must still time out, not wait for ever
    /// (`lock_timeout = 0` means no timeout).
    @Test func aWaitUnderASecondStillTimesOut() async throws {
        try await TestServers.withPlatformTables { client, _ in
            let started = ContinuousClock.now
            try await whileAnotherRequestHolds("slow", client, hold: .seconds(6)) {
                await #expect(throws: IdempotencyKeys.InProgress.self) {
                    try await client.inTransaction(logger: logger) {
                        try await IdempotencyKeys.claim(clinicId: "clinic-1", key: "slow", on: $0, logger: logger,
                                                        wait: .milliseconds(500))
                    }
                }
            }
            #expect(ContinuousClock.now - started < .seconds(5), "the claim waited \(ContinuousClock.now - started)")
        }
    }
}
