import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// Plans' time-dependent work, on the service clock and once across replicas.
enum PlanJobs {
    /// Every few seconds: pauses that ran out resume; installments due today (the clinic's day) are asked
    /// of payments for autopay plans; without autopay, installments unpaid past the grace days are missed.
    /// Each plan is locked and changed in this run's transaction; a plan asks for each installment once.
    static func due(_ context: PlansContext) -> ScheduledJob {
        ScheduledJob(name: "plans.due", schedule: .every(seconds: context.settings.dueEverySeconds)) { _, change in
            let today = context.settings.today(change.now)
            let store = PlanStore(connection: change.connection, logger: change.logger)
            let plans = try await store.plans("""
                SELECT body::text FROM payment_plans
                WHERE deleted_at IS NULL AND ((status = 'ACTIVE' AND next_payment_date <= \(today.description)::date)
                                              OR (status = 'PAUSED' AND paused_until <= \(today.description)::date))
                ORDER BY next_payment_date LIMIT 500 FOR UPDATE SKIP LOCKED
                """)
            var policies: [String: PlanPolicy] = [:]
            for var plan in plans {
                if policies[plan.clinicId] == nil { policies[plan.clinicId] = try await store.policy(clinicId: plan.clinicId) }
                let before = plan
                let news = plan.runDue(today: today, graceDays: policies[plan.clinicId]!.graceDays, at: change.now)
                guard !news.isEmpty else { continue }
                try await PlanCommit.record(plan, was: before, news: news, at: change.now, &change)
            }
        }
    }
}
