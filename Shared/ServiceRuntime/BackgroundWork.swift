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
    static let tick = Duration.milliseconds(250)

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            runner.clock.refresh()
            if migrated.isSet {
                do {
                    try await AuditLog.seal(client: runner.client, logger: logger)
                    for job in jobs { try await runIfDue(job) }
                } catch {
                    logger.warning("background work failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            try? await Task.sleep(for: Self.tick)
        }
    }

    /// Runs `job` if it is due and no other replica holds it; the run and the next due time commit together.
    func runIfDue(_ job: ScheduledJob) async throws {
        let runId = UUID().uuidString.lowercased()
        try await runner.run(actor: ("system:\(service)", "system"), clinicId: nil, correlationId: runId, requestId: nil) { change in
            guard let dueAt = try await ScheduledJobs.lockIfDue(
                job.name, now: change.now, firstDue: job.schedule.firstDue(now: change.now),
                on: change.connection, logger: change.logger)
            else { return }
            try await job.run(dueAt, &change)
            try await ScheduledJobs.markRan(job.name, at: change.now, next: job.schedule.next(after: change.now),
                                            on: change.connection, logger: change.logger)
            logger.info("scheduled job ran", metadata: ["job": "\(job.name)", "due_at": "\(dueAt)", "run_id": "\(runId)"])
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
