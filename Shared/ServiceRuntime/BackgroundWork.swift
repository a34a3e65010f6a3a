import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage
import WebAPI

/// What runs beside requests and events: re-reading the movable clock, sealing the audit chain, and
/// running scheduled jobs once per due time across replicas.
struct BackgroundWork: Service {
    let service: String
    let jobs: [ScheduledJob]
    let runner: ChangeRunner
    let migrated: Flag
    let logger: Logger
    /// The clock file is re-read this often; the database is asked every `databaseEvery` ticks.
    static let tick = Duration.milliseconds(250)
    static let databaseEvery = 4

    func run() async throws {
        // When each job is next due, as last read from the database: a job is looked at only then.
        var nextDue: [String: Date] = [:]
        var sealer = AuditLog.SealerMemory()
        var ticks = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let before = runner.clock.offsetSeconds
            runner.clock.refresh()
            let clockMoved = runner.clock.offsetSeconds != before
            // A moved clock (forward or back) makes every remembered due time stale: ask the database again.
            if clockMoved { nextDue = [:] }
            ticks += 1
            if migrated.isSet, clockMoved || ticks % Self.databaseEvery == 0 {
                do {
                    // Like an event batch, a pass that has not finished in time is given up, so that a
                    // call left unanswered across a Postgres restart cannot stop the work for good.
                    sealer = try await withDeadline(EventPipeline.batchDeadline) { [sealer] in
                        var memory = sealer
                        try await AuditLog.seal(client: runner.client, logger: logger, memory: &memory)
                        return memory
                    }
                    for job in jobs where nextDue[job.name].map({ $0 <= runner.clock.now() }) ?? true {
                        nextDue[job.name] = try await withDeadline(EventPipeline.batchDeadline) { try await runIfDue(job) }
                    }
                } catch {
                    logger.warning("background work failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            try? await Task.sleep(for: Self.tick)
        }
    }

    /// Runs `job` if it is due and no other replica holds it; the run and the next due time commit
    /// together. Returns when to look again (nil: at once, another replica holds the job).
    func runIfDue(_ job: ScheduledJob) async throws -> Date? {
        let runId = UUID().uuidString.lowercased()
        return try await runner.run(actor: ("system:\(service)", "system"), clinicId: nil, correlationId: runId, requestId: nil) { change in
            switch try await ScheduledJobs.lockIfDue(
                job.name, now: change.now, firstDue: job.schedule.firstDue(now: change.now),
                on: change.connection, logger: change.logger)
            {
            case .notDue(let next) where next > job.schedule.next(after: change.now).addingTimeInterval(60):
                // Well later than a run now would schedule: the (test) clock was moved back. Start over from
                // now, or a job every 2 s would wait the days the clock went back. (The minute's margin keeps
                // a replica whose change began just before another's run from taking that run for it.)
                let again = job.schedule.firstDue(now: change.now)
                try await ScheduledJobs.reschedule(job.name, next: again, on: change.connection, logger: change.logger)
                return again
            case .notDue(let next): return next
            case .heldElsewhere: return nil
            case .due(let dueAt):
                try await job.run(dueAt, &change)
                let next = job.schedule.next(after: change.now)
                try await ScheduledJobs.markRan(job.name, at: change.now, next: next, on: change.connection, logger: change.logger)
                // Jobs every few seconds (the payments janitor) would fill the log at info.
                let level: Logger.Level = if case .every(let seconds) = job.schedule, seconds < 60 { .debug } else { .info }
                logger.log(level: level, "scheduled job ran", metadata: ["job": "\(job.name)", "due_at": "\(dueAt)", "run_id": "\(runId)"])
                return next
            }
        }
    }
}

/// Jobs every service has.
enum PlatformJobs {
    /// Idempotency keys are kept at least 24 h, then forgotten.
    static let pruneIdempotencyKeys = ScheduledJob(name: "prune-idempotency-keys", schedule: .every(seconds: 3_600)) { _, change in
        let cutoff = change.now.addingTimeInterval(-24 * 3_600)
        try await IdempotencyKeys.prune(olderThan: cutoff, on: change.connection, logger: change.logger)
    }
}
