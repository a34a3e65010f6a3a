import Foundation
import Logging
import PostgresNIO
@testable import ServiceRuntime
import Storage
import Synchronization
import Testing
import WebAPI

/// Scheduled jobs on the real Postgres: replicas share one schema and one (movable) service clock; each
/// due run happens once. Time moves only through `ServiceClock.set(offsetSeconds:)`.
@Suite struct SchedulerTests {
    let logger = TestServers.logger

    struct JobFailed: Error {}

    /// Whether the job's next run fails, for the test to switch.
    final class FailSwitch: Sendable {
        private let value = Atomic(false)
        var on: Bool {
            get { value.load(ordering: .relaxed) }
        }
        func set(_ on: Bool) { value.store(on, ordering: .relaxed) }
    }

    /// A job that records each run as a row of `job_runs`.
    static func hourly(failing: FailSwitch = FailSwitch()) -> ScheduledJob {
        ScheduledJob(name: "hourly-report", schedule: .every(seconds: 3_600)) { dueAt, change in
            try await change.connection.query(
                "INSERT INTO job_runs (due_at, ran_at) VALUES (\(dueAt), \(change.now))", logger: change.logger)
            if failing.on { throw JobFailed() }
        }
    }

    /// A replica's background work: its own runner over the shared database and clock.
    func replica(_ job: ScheduledJob, client: PostgresClient, clock: ServiceClock) -> BackgroundWork {
        let runner = ChangeRunner(service: "scheduler-test", client: client, clock: clock, logger: logger, afterCommit: {})
        return BackgroundWork(service: "scheduler-test", jobs: [job], runner: runner, migrated: Flag(), logger: logger)
    }

    func runs(_ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT count(*)::int FROM job_runs", logger: logger).collect().first?.decode(Int.self) ?? -1
    }

    func schedule(_ client: PostgresClient) async throws -> (next: Date, runs: Int64)? {
        try await client.query("SELECT next_run_at, runs FROM scheduled_jobs WHERE name = 'hourly-report'", logger: logger)
            .collect().first?.decode((Date, Int64).self)
    }

    /// Every replica asks `times` times, all at once.
    func tickTogether(_ replicas: [BackgroundWork], times: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for replica in replicas {
                for _ in 0..<times {
                    group.addTask { _ = try await replica.runIfDue(replica.jobs[0]) }
                }
            }
            try await group.waitForAll()
        }
    }

    func withJobTables<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        try await TestServers.withPlatformTables { client, _ in
            try await client.query("CREATE TABLE job_runs (due_at timestamptz NOT NULL, ran_at timestamptz NOT NULL)", logger: logger)
            return try await body(client)
        }
    }

    @Test func twoReplicasRunADueJobOncePerDueTime() async throws {
        try await withJobTables { client in
            let clock = ServiceClock(file: nil)
            let job = Self.hourly()
            let replicas = [replica(job, client: client, clock: clock), replica(job, client: client, clock: clock)]

            // Seen for the first time, an `every` job is due at once: one run, however many ask.
            try await tickTogether(replicas, times: 20)
            #expect(try await runs(client) == 1)
            let first = try #require(try await schedule(client))
            #expect(first.runs == 1)

            // Not due again until the clock has moved on.
            try await tickTogether(replicas, times: 5)
            #expect(try await runs(client) == 1)

            clock.set(offsetSeconds: 3_600)
            try await tickTogether(replicas, times: 20)
            #expect(try await runs(client) == 2)
            let second = try #require(try await schedule(client))
            #expect(second.runs == 2)
            #expect(second.next >= first.next.addingTimeInterval(3_600))

            try await tickTogether(replicas, times: 5)
            #expect(try await runs(client) == 2)
        }
    }

    @Test func aJobThatThrowsStaysDueAndRunsAgainNextTick() async throws {
        try await withJobTables { client in
            let clock = ServiceClock(file: nil)
            let failing = FailSwitch()
            let work = replica(Self.hourly(failing: failing), client: client, clock: clock)

            let lookAgain = try await work.runIfDue(work.jobs[0])
            let before = try #require(try await schedule(client))
            #expect(try await runs(client) == 1)
            // It says when to look again: the next due time it stored (to the database's microsecond).
            #expect(abs((lookAgain ?? .distantPast).timeIntervalSince(before.next)) < 0.001, "\(String(describing: lookAgain)) vs \(before.next)")
            #expect(try await work.runIfDue(work.jobs[0]) == before.next)

            clock.set(offsetSeconds: 3_600)
            failing.set(true)
            await #expect(throws: JobFailed.self) { try await work.runIfDue(work.jobs[0]) }
            // Nothing of the failed run stays: not its row, not a moved due time.
            let after = try #require(try await schedule(client))
            #expect(after.next == before.next)
            #expect(after.runs == 1)
            #expect(try await runs(client) == 1)

            failing.set(false)
            _ = try await work.runIfDue(work.jobs[0])
            let recovered = try #require(try await schedule(client))
            #expect(recovered.runs == 2)
            #expect(recovered.next > before.next)
            #expect(try await runs(client) == 2)
        }
    }
}
